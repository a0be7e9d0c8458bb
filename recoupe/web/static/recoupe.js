// What every script of the viewer shares: reading the JSON API with the session's cookie, and its errors in
// French (the API's own message when it gives one). Loaded before a page's own script.
(function () {
  "use strict";

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          throw new Error("Session expirée : reconnectez-vous.");
        }
        if (!response.ok) {
          return response.json().then(
            function (body) { throw new Error((body.error && body.error.message) || "Erreur " + response.status); },
            function () { throw new Error("Erreur " + response.status); }
          );
        }
        return response.json();
      });
  }

  window.Recoupe = { getJSON: getJSON };
}());
