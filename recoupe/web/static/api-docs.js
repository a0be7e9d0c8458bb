// The API's interactive documentation: Swagger UI (npm's swagger-ui-dist, served by /vendor/) on the app's own
// OpenAPI document. Requests tried from the page go with the session cookie and its CSRF token; no request
// leaves the app (no validator badge, no external spec).
(function () {
  "use strict";

  var container = document.getElementById("swagger");
  if (!container || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  var meta = document.querySelector('meta[name="csrf-token"]');
  SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger",
    validatorUrl: null,
    deepLinking: false,
    tryItOutEnabled: false,
    requestInterceptor: function (request) {
      if (meta) {
        request.headers["X-CSRF-Token"] = meta.getAttribute("content");
      }
      request.credentials = "same-origin";
      return request;
    },
    onComplete: function () {
      container.dataset.state = "ready";
    }
  });
}());
