// The "Carte" page: quartiers, incidents and camera wedges drawn with Leaflet from Recoupe's own API, without
// tiles (no tile server is reachable). Text from the data goes in with textContent only, never as markup; when
// a layer is drawn, the map's container says how many features it holds (data-incidents, data-cameras,
// data-quartiers) and data-state becomes "ready".
(function () {
  "use strict";

  var PAGE = 500; // the API's largest page
  var MAX_INCIDENTS = 5000; // beyond this the map would be unreadable: the status line says what is left out
  var EARTH_RADIUS_M = 6371008.8;
  var MARSEILLE = [43.2965, 5.3698];
  var STATES = { ok: "en service", out: "en panne", inactive: "pas encore ou plus en service" };

  var container = document.getElementById("carte");
  var status = document.getElementById("carte-etat");
  var form = document.getElementById("filtres");
  if (!container || typeof L === "undefined") {
    return;
  }

  var map = L.map(container, { attributionControl: false, preferCanvas: false }).setView(MARSEILLE, 12);
  // One pane per layer, stacked by the style sheet (quartiers under cameras under incidents) whatever the order
  // in which their data arrives.
  map.createPane("quartiers");
  map.createPane("cameras");
  var quartierLayer = L.layerGroup().addTo(map);
  var cameraLayer = L.layerGroup().addTo(map);
  var incidentLayer = L.layerGroup().addTo(map);
  L.control.layers(null, { "Quartiers": quartierLayer, "Caméras": cameraLayer, "Incidents": incidentLayer },
    { collapsed: false }).addTo(map);
  var categoryNames = {};
  Array.prototype.forEach.call(document.querySelectorAll("#categorie option"), function (option) {
    if (option.value) {
      categoryNames[option.value] = option.textContent;
    }
  });

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

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

  // Every page of a paged API answer, up to `cap` items: {items, total}.
  function getAll(base, params, cap) {
    var items = [];
    function next(offset) {
      var query = new URLSearchParams(params);
      query.set("limit", String(PAGE));
      query.set("offset", String(offset));
      return getJSON(base + "?" + query.toString()).then(function (body) {
        items = items.concat(body.items);
        var done = body.items.length < PAGE || items.length >= body.total || items.length >= cap;
        return done ? { items: items.slice(0, cap), total: body.total } : next(offset + PAGE);
      });
    }
    return next(0);
  }

  // A popup's content as DOM nodes: a title (a link when `href` is given) and lines of plain text.
  function card(title, href, lines) {
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
    return box;
  }

  function when(iso) {
    if (!iso) {
      return "";
    }
    return new Date(iso).toLocaleString("fr-FR", { timeZone: "Europe/Paris", dateStyle: "medium", timeStyle: "short" });
  }

  // The point `metres` away from (lat, lon) towards `bearing` (degrees, 0 = north, clockwise): a local flat
  // approximation, exact to well under a metre at a camera's range.
  function destination(lat, lon, bearing, metres) {
    var rad = bearing * Math.PI / 180;
    var north = metres * Math.cos(rad);
    var east = metres * Math.sin(rad);
    var dLat = north / EARTH_RADIUS_M * 180 / Math.PI;
    var dLon = east / (EARTH_RADIUS_M * Math.cos(lat * Math.PI / 180)) * 180 / Math.PI;
    return [lat + dLat, lon + dLon];
  }

  // A camera's field of view: the apex, then the arc from bearing - fov/2 to bearing + fov/2.
  function wedge(camera) {
    var fov = Math.min(Math.max(camera.fov_deg || 90, 1), 360);
    var range = camera.range_m || 60;
    var steps = Math.max(2, Math.ceil(fov / 5));
    var points = fov < 360 ? [[camera.lat, camera.lon]] : [];
    for (var i = 0; i <= steps; i += 1) {
      points.push(destination(camera.lat, camera.lon, camera.bearing_deg - fov / 2 + fov * i / steps, range));
    }
    return points;
  }

  function drawQuartiers(collection) {
    quartierLayer.clearLayers();
    var layer = L.geoJSON(collection, {
      pane: "quartiers",
      className: "map-quartier",
      onEachFeature: function (feature, shape) {
        var p = feature.properties || {};
        shape.bindPopup(card(p.name || p.id, null, [p.arrondissement ? "Arrondissement : " + p.arrondissement : ""]));
      }
    });
    layer.addTo(quartierLayer);
    container.setAttribute("data-quartiers", String(collection.features.length));
    return layer;
  }

  function drawCameras(found) {
    cameraLayer.clearLayers();
    var drawn = 0;
    found.items.forEach(function (camera) {
      if (typeof camera.lat !== "number" || typeof camera.lon !== "number") {
        return;
      }
      var state = STATES[camera.status] ? camera.status : "inactive";
      var shape = L.polygon(wedge(camera), { className: "map-wedge wedge-" + state, pane: "cameras" });
      shape.bindPopup(card("Caméra " + camera.id, null, [
        camera.label || "",
        "État : " + STATES[state],
        "Orientation " + Math.round(camera.bearing_deg) + "°, angle " + Math.round(camera.fov_deg) +
          "°, portée " + Math.round(camera.range_m) + " m"
      ]));
      shape.addTo(cameraLayer);
      drawn += 1;
    });
    container.setAttribute("data-cameras", String(drawn));
    return drawn;
  }

  function drawIncidents(found) {
    incidentLayer.clearLayers();
    var drawn = 0;
    var page = container.getAttribute("data-incident-page");
    found.items.forEach(function (incident) {
      if (typeof incident.lat !== "number" || typeof incident.lon !== "number") {
        return;
      }
      var category = /^[a-z_]+$/.test(incident.category || "") ? incident.category : "other";
      var marker = L.circleMarker([incident.lat, incident.lon], {
        radius: 6, className: "map-incident c-" + category
      });
      marker.bindPopup(card("Incident " + incident.id, page + encodeURIComponent(incident.id), [
        categoryNames[incident.category] || incident.category || "",
        when(incident.occurred_from),
        incident.quartier ? "Quartier : " + incident.quartier : ""
      ]));
      marker.addTo(incidentLayer);
      drawn += 1;
    });
    container.setAttribute("data-incidents", String(drawn));
    return drawn;
  }

  // The API's period from the form's days: from the first day's midnight to the midnight after the last (Paris).
  function period() {
    var params = {};
    var first = document.getElementById("debut").value;
    var last = document.getElementById("fin").value;
    var category = document.getElementById("categorie").value;
    if (first) {
      params.from = first + "T00:00:00";
    }
    if (last) {
      var after = new Date(last + "T00:00:00Z");
      after.setUTCDate(after.getUTCDate() + 1);
      params.to = after.toISOString().slice(0, 10) + "T00:00:00";
    }
    if (category) {
      params.category = category;
    }
    return params;
  }

  function loadIncidents() {
    container.setAttribute("data-state", "loading");
    container.removeAttribute("data-incidents");
    say("Chargement des incidents…");
    return getAll(container.getAttribute("data-incidents-url"), period(), MAX_INCIDENTS).then(function (found) {
      var drawn = drawIncidents(found);
      var missing = found.items.length - drawn;
      var text = drawn + " incident" + (drawn > 1 ? "s" : "") + " sur la carte";
      if (found.total > found.items.length) {
        text += " (les " + found.items.length + " plus récents sur " + found.total + ")";
      }
      if (missing > 0) {
        text += " ; " + missing + " sans position";
      }
      say(text + ".");
      return drawn;
    });
  }

  function fail(error) {
    container.setAttribute("data-state", "error");
    say("La carte n'a pas pu être chargée : " + error.message);
  }

  var background = Promise.all([
    getJSON(container.getAttribute("data-quartiers-url")).then(function (collection) {
      var layer = drawQuartiers(collection);
      if (collection.features.length) {
        map.fitBounds(layer.getBounds());
      }
    }),
    getAll(container.getAttribute("data-cameras-url"), {}, Infinity).then(drawCameras)
  ]);
  Promise.all([background, loadIncidents()]).then(function () {
    container.setAttribute("data-state", "ready");
  }, fail);

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = new URLSearchParams(new FormData(form));
      history.replaceState(null, "", "?" + query.toString());
      loadIncidents().then(function () { container.setAttribute("data-state", "ready"); }, fail);
    });
  }
})();
