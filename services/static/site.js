// The co-op site's own script (docs/sites.md), beside the browser runtime:
// a boosted navigation starts at the top of the new page, Back returns to
// where the previous page was scrolled (the position travels in
// history.state, for a reload), and the header's account menu follows the
// address bar.
(() => {
  // The regions a boosted navigation swaps (services/shared/layout.sx).
  const root = (t) => t && (t.id === 'site-page' || t.id === 'sx-root');
  document.addEventListener('sx:beforeRequest', (e) => {
    if (e.detail && root(e.detail.target)) {
      history.replaceState(Object.assign({}, history.state, { siteScroll: window.scrollY }), '');
    }
  });
  document.addEventListener('sx:afterSwap', (e) => {
    if (!e.detail || !root(e.detail.target)) return;
    window.scrollTo(0, 0);
    // The phone menu is open while #site-nav is the :target, which
    // pushState does not change: a copy of the nav is not the target, so
    // the menu closes as on a full load (its links bound again).
    const nav = document.querySelector('#site-nav:target');
    if (nav) {
      const copy = nav.cloneNode(true);
      nav.replaceWith(copy);
      if (window.SX && SX.engine) SX.engine.process(copy);
    }
  });
  // A boosted navigation keeps the header (services/shared/layout.sx): the
  // account menu's sign-in link and sign-out form come back to the page in
  // the address bar (their "next"), as the server wrote them for it.
  const follow = () => {
    const here = location.pathname + location.search;
    for (const a of document.querySelectorAll('#site-account a[href*="next="]')) {
      const u = new URL(a.href);
      u.searchParams.set('next', here);
      a.href = u.href;
    }
    for (const i of document.querySelectorAll('#site-account input[name="next"]')) i.value = here;
  };
  document.addEventListener('sx:afterSettle', follow);
  document.addEventListener('sx:historyRestore', follow);
  const y = history.state && history.state.siteScroll;
  if (typeof y === 'number') {
    history.scrollRestoration = 'manual';
    window.scrollTo(0, y);
  }
})();
