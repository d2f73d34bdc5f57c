/* The window's screen: ask every two seconds whether a phone took the code
   shown, and load the next one at once.  Without this script the page's
   meta refresh still reloads it every few seconds. */
(function () {
  var box = document.getElementById("code");
  if (!box || !window.fetch) { return; }
  var address = box.getAttribute("data-used");
  function check() {
    fetch(address, { cache: "no-store", credentials: "same-origin" })
      .then(function (answer) { return answer.json(); })
      .then(function (state) {
        if (state.used) { window.location.reload(); } else { window.setTimeout(check, 2000); }
      })
      .catch(function () { window.setTimeout(check, 5000); });
  }
  window.setTimeout(check, 2000);
}());
