// What the map (map.js) and the incident page's small map (incident-map.js) share: reading the API, popups
// built from DOM nodes (text from the data goes in with textContent only), French dates, street dots.
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

  // A popup's content: a title (a link when `href` is given), lines of plain text, an optional closing link
  // ({text, href}).
  function card(title, href, lines, more) {
    var box = document.createElement("div");
    box.className = "map-card";
    var heading = document.createElement(href ? "a" : "strong");
    heading.textContent = title;
    if (href) {
      heading.href = href;
    }
    box.appendChild(heading);
    lines.forEach(function (line) {
      if (line) {
        var p = document.createElement("p");
        p.textContent = line;
        box.appendChild(p);
      }
    });
    if (more) {
      var link = document.createElement("a");
      link.className = "map-card-more";
      link.textContent = more.text;
      link.href = more.href;
      box.appendChild(link);
    }
    return box;
  }

  function when(iso) {
    if (!iso) {
      return "";
    }
    return new Date(iso).toLocaleString("fr-FR", { timeZone: "Europe/Paris", dateStyle: "medium", timeStyle: "short" });
  }

  // A street of the gazetteer (one point, its centre: there is no line) as a small dot named on hover, or
  // always when `named`.
  function streetDot(street, pane, named) {
    var dot = L.circleMarker([street.lat, street.lon], { radius: 2, className: "map-street", pane: pane });
    var label = document.createElement("span");
    label.textContent = street.name;
    dot.bindTooltip(label, { permanent: named, direction: "right", className: "map-street-name" });
    return dot;
  }

  // "west,south,east,north" of a Leaflet bounds, inside the world, for the API's bbox parameter.
  function bbox(bounds) {
    return [Math.max(-180, bounds.getWest()), Math.max(-90, bounds.getSouth()), Math.min(180, bounds.getEast()),
      Math.min(90, bounds.getNorth())].map(function (v) { return v.toFixed(5); }).join(",");
  }

  window.RecoupeMap = { getJSON: getJSON, card: card, when: when, streetDot: streetDot, bbox: bbox };
})();
