/* The console's progress page: ask for fresh counts every few seconds and put them into the
   table in place.  Without this script the page is the same table with a Refresh link. */
(function () {
  var box = document.getElementById("progress");
  if (!box || !window.fetch) { return; }
  var source = box.getAttribute("data-source");
  var every = parseInt(box.getAttribute("data-every"), 10) || 5000;
  var live = document.getElementById("progress-live");

  function put(key, value) {
    var cells = box.querySelectorAll('[data-count="' + key.replace(/"/g, '\\"') + '"]');
    for (var i = 0; i < cells.length; i += 1) {
      if (cells[i].textContent !== String(value)) { cells[i].textContent = String(value); }
    }
  }

  function show(data) {
    put("named/assigned", data.named.assigned);
    put("named/completed", data.named.completed);
    Object.keys(data.groups).forEach(function (group) {
      put("group/" + group + "/assigned", data.groups[group].assigned);
      put("group/" + group + "/completed", data.groups[group].completed);
    });
    data.cadres.forEach(function (cadre) {
      put("cadre/" + cadre.id + "/assigned", cadre.assigned);
      put("cadre/" + cadre.id + "/completed", cadre.completed);
      Object.keys(cadre.groups).forEach(function (group) {
        put("cadre/" + cadre.id + "/" + group + "/assigned", cadre.groups[group].assigned);
        put("cadre/" + cadre.id + "/" + group + "/completed", cadre.groups[group].completed);
      });
    });
    if (live) {
      live.textContent = new Date().toLocaleTimeString();
      live.parentNode.hidden = false;
    }
    box.setAttribute("data-updated", String(Date.now()));
  }

  function ask() {
    fetch(source, { cache: "no-store", credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok) { throw new Error(String(answer.status)); }
        return answer.json();
      })
      .then(function (data) { show(data); window.setTimeout(ask, every); })
      .catch(function () { window.setTimeout(ask, every * 3); });
  }
  window.setTimeout(ask, every);
}());
