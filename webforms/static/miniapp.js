/* Telegram passes signed initData in the URL fragment as tgWebAppData;
   the fragment never reaches a server, so post it to our own page. */
(function () {
  var form = document.getElementById("miniapp");
  if (!form) { return; }
  var params = new URLSearchParams(window.location.hash.slice(1));
  var data = params.get("tgWebAppData") || "";
  form.elements.init_data.value = data;
  if (data) { form.submit(); }
}());
