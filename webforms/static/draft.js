/* The rater form keeps its answers in this browser until they are sent.

   A reload, a language switch, pull-to-refresh or a discarded tab would
   otherwise lose a long form.  The answers are stored under a random key the
   server made for this form session (never the link's token), as positions
   only: option numbers and comment texts in page order, no names, no ids.
   Other forms' drafts are removed, old ones expire, and the thank-you page
   removes them all.  Sending moves the draft from the phone's storage to
   the tab's, which the tab takes with it when closed, so a send lost on a
   weak network can still be restored.  Without this script the form works
   as before. */
(function () {
  var PREFIX = "cadre-draft:", DAY = 864e5, store, tab;
  try { store = window.localStorage; store.getItem(PREFIX); } catch (e) { return; }
  try { tab = window.sessionStorage; tab.getItem(PREFIX); } catch (e) { tab = null; }
  function purgeIn(area, keep) {
    for (var i = area.length - 1; i >= 0; i--) {
      var key = area.key(i);
      if (key && key.indexOf(PREFIX) === 0 && key !== keep) { area.removeItem(key); }
    }
  }
  function purge(keep) {
    purgeIn(store, keep);
    if (tab) { purgeIn(tab, keep); }
  }
  var form = document.getElementById("ballot");
  if (!form) { purge(""); return; }  // the thank-you page: the answers were stored
  var key = PREFIX + form.getAttribute("data-draft"), line = document.getElementById("progress");
  purge(key);
  var groups = [], seen = {};
  [].forEach.call(form.elements, function (field) {
    if ((field.type === "radio" || field.tagName === "TEXTAREA") && !seen[field.name]) {
      seen[field.name] = 1;
      groups.push(field.type === "radio" ? form.querySelectorAll("input[name='" + field.name + "']") : field);
    }
  });
  function read() {
    return groups.map(function (group) {
      if (group.tagName === "TEXTAREA") { return group.value; }
      for (var i = 0; i < group.length; i++) { if (group[i].checked) { return i; } }
      return -1;
    });
  }
  function save() {
    var answers = read();
    try {
      store.setItem(key, JSON.stringify({ t: Date.now(), n: groups.length, a: answers }));
    } catch (e) { /* full or private mode: the form still works */ }
    progress(answers);
  }
  function progress(answers) {
    if (!line) { return; }
    var done = [0, 0], total = [0, 0];
    groups.forEach(function (group, i) {
      if (group.tagName === "TEXTAREA") { return; }
      var kind = /:vote$/.test(group[0].name) ? 1 : 0;
      total[kind]++;
      if (answers[i] >= 0) { done[kind]++; }
    });
    var text = line.getAttribute("data-questions").replace("{done}", done[0]).replace("{total}", total[0]);
    if (total[1]) {
      text += " · " + line.getAttribute("data-grades").replace("{done}", done[1]).replace("{total}", total[1]);
    }
    line.textContent = text;
    line.hidden = false;
  }
  function restore() {
    var answers = read(), draft;
    // A form the server sent back with answers (problems, expiry) shows what was posted.
    if (answers.some(function (a) { return a !== -1 && a !== ""; })) { return; }
    try {
      draft = JSON.parse(store.getItem(key) || (tab && tab.getItem(key)));
    } catch (e) { return; }
    if (!draft || draft.n !== groups.length || Date.now() - draft.t > 2 * DAY) { return; }
    groups.forEach(function (group, i) {
      var a = draft.a[i];
      if (group.tagName === "TEXTAREA") { group.value = typeof a === "string" ? a : ""; }
      else if (a >= 0 && group[a]) { group[a].checked = true; }
    });
  }
  restore();
  save();
  form.addEventListener("change", save);
  form.addEventListener("input", save);
  form.addEventListener("submit", function () {
    try { if (tab) { tab.setItem(key, store.getItem(key)); } } catch (e) { /* no copy */ }
    store.removeItem(key);
  });
}());
