// The co-op site's own script (docs/sites.md), beside the browser runtime:
// a boosted navigation starts at the top of the new page, and Back returns
// to where the previous page was scrolled (the runtime reloads the page on
// popstate, so the position travels in history.state).
(() => {
  const root = () => document.getElementById('sx-root');
  document.addEventListener('sx:beforeRequest', (e) => {
    if (e.detail && e.detail.target === root()) {
      history.replaceState(Object.assign({}, history.state, { siteScroll: window.scrollY }), '');
    }
  });
  document.addEventListener('sx:afterSwap', (e) => {
    if (e.detail && e.detail.target === root()) window.scrollTo(0, 0);
  });
  const y = history.state && history.state.siteScroll;
  if (typeof y === 'number') {
    history.scrollRestoration = 'manual';
    window.scrollTo(0, y);
  }
})();
