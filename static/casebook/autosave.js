// Autosave for the case form: once a minute, if something was typed since the last
// save, the form is saved as an encrypted draft (the same "Save draft" the button
// does). The request itself keeps the session alive, so the session is kept alive only
// while the person is actually typing; the absolute session limit still applies.
// Nothing is kept in the browser's storage.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var status = document.getElementById("autosave-status");
  var every = parseInt(form.getAttribute("data-autosave"), 10) * 1000 || 60000;
  var typed = false;
  var saving = false;

  function say(text) { if (status) { status.textContent = text; } }

  function draftField() {
    var field = form.querySelector("input[name=draft]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "draft";
      form.appendChild(field);
    }
    return field;
  }

  function save() {
    if (!typed || saving) { return; }
    saving = true;
    typed = false;
    var data = new FormData(form);
    data.delete("confirm_identifiers");
    data.set("save_draft", "1");
    fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-Casebook-Autosave": "1" }
    }).then(function (response) {
      if (response.ok) {
        return response.json().then(function (saved) {
          draftField().value = saved.draft;
          say(form.getAttribute("data-saved-text").replace("{0}", saved.saved_at));
        });
      }
      typed = true;  // not saved: try again at the next minute
      say(form.getAttribute("data-failed-text"));
    }).catch(function () {
      typed = true;
      say(form.getAttribute("data-failed-text"));
    }).then(function () { saving = false; });
  }

  form.addEventListener("input", function () { typed = true; });
  form.addEventListener("change", function () { typed = true; });
  window.setInterval(save, every);
})();
