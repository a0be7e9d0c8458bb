// The person page's "Révéler l'identité" form (investigators only): POSTs the motive with the session's CSRF
// token to /api/persons/<pseudonym>/identity and lists the names it answers, as text. Every attempt is
// journalled by the server, with its motive.
(function () {
  "use strict";

  var form = document.getElementById("reveal");
  if (!form) { return; }
  var status = document.getElementById("reveal-status");
  var list = document.getElementById("reveal-names");
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function show(names) {
    list.replaceChildren();
    names.forEach(function (entry) {
      var item = document.createElement("li");
      var name = document.createElement("strong");
      name.textContent = entry.name;
      item.appendChild(name);
      item.appendChild(document.createTextNode(" — lu dans " + entry.incidents.join(", ")));
      list.appendChild(item);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { motive: form.elements.motive.value };
    if (form.elements["case"].value.trim()) { body["case"] = form.elements["case"].value; }
    form.dataset.state = "loading";
    status.textContent = "Demande en cours…";
    fetch(form.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRF-Token": csrf ? csrf.content : "" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          throw new Error((answer.error && answer.error.message) || "Erreur " + response.status);
        }
        return answer;
      });
    }).then(function (answer) {
      show(answer.names);
      status.textContent = "Identité révélée (consultation journalisée avec votre motif).";
      form.dataset.state = "ready";
    }).catch(function (error) {
      list.replaceChildren();
      status.textContent = error.message;
      form.dataset.state = "error";
    });
  });
}());
