// federation's front-channel logout page (services/federation/oidc.sx,
// docs/auth.md): the page's hidden iframes load each client's logout URI;
// once they have loaded (the window's load event waits for every iframe of
// the document) or after data-wait seconds, go on to the continue link's
// target. Without JavaScript the person presses the link.
(() => {
  const link = document.getElementById('logout-continue');
  if (!link) return;
  let gone = false;
  const go = () => {
    if (!gone) {
      gone = true;
      location.replace(link.href);
    }
  };
  if (document.readyState === 'complete') go();
  else window.addEventListener('load', go);
  setTimeout(go, 1000 * (Number(link.dataset.wait) || 5));
})();
