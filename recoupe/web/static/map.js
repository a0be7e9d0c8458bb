// The "Carte" page: quartiers, streets, the latest forecasts' cells, camera wedges, street assets and clustered
// incidents, drawn with Leaflet from Recoupe's own API; tiles only when the server is configured with a tile
// URL. Text from the data goes in with textContent only, never as markup. When drawn, the map's container says
// how many features each layer holds (data-incidents, data-cameras, data-quartiers, data-assets, data-cells,
// data-streets) and data-state becomes "ready".
(function () {
  "use strict";

  var PAGE = 500; // the incidents API's largest page
  var MAX_INCIDENTS = 5000; // beyond this the map would be unreadable: the status line says what is left out
  var LIMITS = { assets: 5000, cells: 5000, streets: 2000 }; // the layers' endpoints' largest answers
  var STREET_NAMES_FROM = 17; // street names stay written from this zoom on (below: on hover)
  var EARTH_RADIUS_M = 6371008.8;
  var MARSEILLE = [43.2965, 5.3698];
  var STATES = { ok: "en service", out: "en panne", inactive: "pas encore ou plus en service" };
  var PARIS_DAY = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Paris", year: "numeric", month: "2-digit", day: "2-digit" });

  var container = document.getElementById("carte");
  var status = document.getElementById("carte-etat");
  var form = document.getElementById("filtres");
  var windowStart = document.getElementById("fenetre-debut");
  var windowEnd = document.getElementById("fenetre-fin");
  var windowText = document.getElementById("fenetre-texte");
  if (!container || typeof L === "undefined" || typeof L.markerClusterGroup !== "function" || !window.RecoupeMap) {
    return;
  }
  var getJSON = window.RecoupeMap.getJSON;
  var card = window.RecoupeMap.card;
  var when = window.RecoupeMap.when;
  function data(name) {
    return container.getAttribute("data-" + name);
  }

  var map = L.map(container, { attributionControl: false, minZoom: 9, maxZoom: 19 }).setView(MARSEILLE, 12);
  if (data("tile-url")) { // only where the server names a tile server (RECOUPE_TILE_URL)
    L.tileLayer(data("tile-url"), { maxZoom: 19 }).addTo(map);
  }
  // One pane per layer, stacked by the style sheets (quartiers, streets, forecasts, cameras; markers above)
  // whatever the order in which their data arrives.
  ["quartiers", "streets", "heat", "cameras", "assets"].forEach(function (name) { map.createPane(name); });
  var quartierLayer = L.layerGroup().addTo(map);
  var streetLayer = L.layerGroup().addTo(map);
  var heatLayer = L.layerGroup().addTo(map);
  var cameraLayer = L.layerGroup().addTo(map);
  var assetLayer = window.RecoupeMap.clustered(map, "asset",
    { disableClusteringAtZoom: 17, maxClusterRadius: 50, clusterPane: "assets" });
  var incidentLayer = window.RecoupeMap.clustered(map, "incident", { maxClusterRadius: 45 });
  var overlays = { "Quartiers": quartierLayer, "Rues": streetLayer, "Caméras": cameraLayer,
    "Mobilier urbain": assetLayer, "Incidents": incidentLayer };
  if (data("forecasts-url")) {
    overlays["Prévisions"] = heatLayer;
  }
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
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

  function parisDay(iso) { // "2025-03-04": the day in Paris that a moment falls on
    var parts = {};
    PARIS_DAY.formatToParts(new Date(iso)).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day;
  }

  function addDays(day, n) { // a "YYYY-MM-DD" day plus n days
    var at = new Date(day + "T00:00:00Z");
    at.setUTCDate(at.getUTCDate() + n);
    return at.toISOString().slice(0, 10);
  }

  function longDay(day) {
    return new Date(day + "T00:00:00Z").toLocaleDateString("fr-FR", { timeZone: "UTC", dateStyle: "long" });
  }

  // ------------------------------------------------------------ quartiers, cameras

  // The point `metres` away from (lat, lon) towards `bearing` (degrees, 0 = north, clockwise): a local flat
  // approximation, exact to well under a metre at a camera's range.
  function destination(lat, lon, bearing, metres) {
    var rad = bearing * Math.PI / 180;
    var dLat = metres * Math.cos(rad) / EARTH_RADIUS_M * 180 / Math.PI;
    var dLon = metres * Math.sin(rad) / (EARTH_RADIUS_M * Math.cos(lat * Math.PI / 180)) * 180 / Math.PI;
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

  function entityLink(kind, key) { // the entity's page, for the roles that may open it
    return data("entity-page") ? data("entity-page") + kind + "/" + encodeURIComponent(key) : null;
  }

  function drawQuartiers(collection) {
    quartierLayer.clearLayers();
    var layer = L.geoJSON(collection, {
      pane: "quartiers",
      className: "map-quartier",
      onEachFeature: function (feature, shape) {
        var p = feature.properties || {};
        shape.bindPopup(card(p.name || p.id, entityLink("quartier", p.id),
          [p.arrondissement ? "Arrondissement : " + p.arrondissement : ""]));
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
      shape.bindPopup(card("Caméra " + camera.id, entityLink("camera", camera.id), [
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

  // ------------------------------------------------------------ incidents, clustered, and the time window

  var incidents = { markers: [], total: 0, fetched: 0, unplaced: 0, first: "", days: 0 };

  function incidentMarker(incident) {
    var category = /^[a-z_]+$/.test(incident.category || "") ? incident.category : "other";
    var marker = L.marker([incident.lat, incident.lon], {
      icon: L.divIcon({ className: "map-incident c-" + category, iconSize: L.point(14, 14) }),
      title: "Incident " + incident.id
    });
    marker.bindPopup(card("Incident " + incident.id, data("incident-page") + encodeURIComponent(incident.id), [
      categoryNames[incident.category] || incident.category || "",
      when(incident.occurred_from),
      incident.quartier ? "Quartier : " + incident.quartier : ""
    ]));
    marker.day = incident.occurred_from ? parisDay(incident.occurred_from) : "";
    return marker;
  }

  function chosenWindow() { // [first day, last day] of the sliders, in order
    var low = Number(windowStart ? windowStart.value : 0);
    var high = Number(windowEnd ? windowEnd.value : incidents.days);
    return [addDays(incidents.first, Math.min(low, high)), addDays(incidents.first, Math.max(low, high))];
  }

  // Draws the incidents whose day lies in the sliders' window: no new request.
  function applyWindow() {
    var bounds = chosenWindow();
    var whole = bounds[0] === incidents.first && bounds[1] === addDays(incidents.first, incidents.days);
    var shown = incidents.markers.filter(function (m) { return m.day >= bounds[0] && m.day <= bounds[1]; });
    incidentLayer.clearLayers();
    incidentLayer.addLayers(shown);
    container.setAttribute("data-incidents", String(shown.length));
    if (windowText) {
      windowText.textContent = whole ? "toute la période" : bounds[0] === bounds[1] ? "le " + longDay(bounds[0]) :
        "du " + longDay(bounds[0]) + " au " + longDay(bounds[1]);
    }
    var text = shown.length + " incident" + (shown.length > 1 ? "s" : "") + " sur la carte";
    if (!whole) {
      text += " (" + (windowText ? windowText.textContent : "") + " ; " + incidents.markers.length + " sur la période)";
    }
    if (incidents.total > incidents.fetched) {
      text += " (les " + incidents.fetched + " plus récents sur " + incidents.total + ")";
    }
    if (incidents.unplaced > 0) {
      text += " ; " + incidents.unplaced + " sans position";
    }
    say(text + ".");
    return shown.length;
  }

  function resetWindow() {
    var first = document.getElementById("debut").value;
    var last = document.getElementById("fin").value;
    incidents.first = first;
    incidents.days = first && last ? Math.max(0, Math.round((Date.parse(last) - Date.parse(first)) / 86400000)) : 0;
    [windowStart, windowEnd].forEach(function (slider) {
      if (slider) {
        slider.max = String(incidents.days);
      }
    });
    if (windowStart) {
      windowStart.value = "0";
    }
    if (windowEnd) {
      windowEnd.value = String(incidents.days);
    }
  }

  // The API's period from the form's days: from the first day's midnight to the midnight after the last (Paris).
  function period() {
    var params = {};
    var first = document.getElementById("debut").value;
    var last = document.getElementById("fin").value;
    if (first) {
      params.from = first + "T00:00:00";
    }
    if (last) {
      params.to = addDays(last, 1) + "T00:00:00";
    }
    if (chosenCategory()) {
      params.category = chosenCategory();
    }
    return params;
  }

  function chosenCategory() {
    return document.getElementById("categorie").value;
  }

  function loadIncidents() {
    container.removeAttribute("data-incidents");
    say("Chargement des incidents…");
    return getAll(data("incidents-url"), period(), MAX_INCIDENTS).then(function (found) {
      var placed = found.items.filter(function (i) { return typeof i.lat === "number" && typeof i.lon === "number"; });
      incidents.markers = placed.map(incidentMarker);
      incidents.total = found.total;
      incidents.fetched = found.items.length;
      incidents.unplaced = found.items.length - placed.length;
      resetWindow();
      return applyWindow();
    });
  }

  [windowStart, windowEnd].forEach(function (slider) {
    if (slider) {
      slider.addEventListener("input", applyWindow);
    }
  });

  // ------------------------------------------------------------ layers read for the map's view (bbox, limit)

  function drawAssets(body) {
    assetLayer.clearLayers();
    var markers = body.items.map(function (asset) {
      var damaged = asset.damage_count > 0;
      var marker = L.marker([asset.lat, asset.lon], {
        icon: L.divIcon({ className: "map-asset" + (damaged ? " asset-damaged" : ""), iconSize: L.point(10, 10) }),
        title: (asset.type || asset.asset_type || "mobilier") + " " + asset.id,
        pane: "assets"
      });
      marker.bindPopup(card("Mobilier " + asset.id, entityLink("asset", asset.id), [
        asset.type || asset.asset_type || "",
        asset.label || "",
        damaged ? "Endommagé " + asset.damage_count + " fois" : "Aucun dommage enregistré",
        asset.removed_at ? "Retiré le " + when(asset.removed_at) : ""
      ]));
      return marker;
    });
    assetLayer.addLayers(markers);
    return markers.length;
  }

  function percent(p) {
    return (Math.round(p * 1000) / 10).toLocaleString("fr-FR") + " %";
  }

  function drawCells(collection) {
    heatLayer.clearLayers();
    var page = data("forecast-page");
    collection.features.forEach(function (feature) {
      var p = feature.properties;
      var step = Math.min(5, Math.max(1, Number(p.step) || 1));
      var shape = L.polygon(L.GeoJSON.coordsToLatLngs(feature.geometry.coordinates, 2),
        { className: "map-heat heat-" + step, pane: "heat" });
      shape.bindPopup(card("Maille " + feature.id, null, [
        (p.category_label || p.category) + " : " + percent(p.probability) + " (rang " + p.rank + ")",
        "Horizon " + (p.horizon || "—") + (p.valid_from ? ", du " + when(p.valid_from) + " au " + when(p.valid_to) : ""),
        p.forecasts > 1 ? p.forecasts + " catégories prévues ici ; la plus probable est montrée" : ""
      ], page ? { text: "Voir les prévisions", href: page } : null));
      shape.addTo(heatLayer);
    });
    return collection.features.length;
  }

  function drawStreets(body) {
    streetLayer.clearLayers();
    var named = map.getZoom() < STREET_NAMES_FROM ? {} : window.RecoupeMap.unclashed(body.items.map(function (s) {
      return map.latLngToContainerPoint([s.lat, s.lon]); // in the gazetteer's order: the best known first
    }), Infinity);
    body.items.forEach(function (street, index) {
      window.RecoupeMap.streetDot(street, "streets", Boolean(named[index])).addTo(streetLayer);
    });
    return body.items.length;
  }

  function viewLayer(name, options) {
    return window.RecoupeMap.viewLayer(map, container, L.extend({ name: name, minZoom: 0, limit: LIMITS[name],
      params: function () { return {}; } }, options));
  }
  var streets = viewLayer("streets", { url: data("streets-url"), minZoom: Number(data("streets-from")) || 16,
    draw: drawStreets, clear: function () { streetLayer.clearLayers(); } });
  var layers = [streets, viewLayer("assets", { url: data("assets-url"), draw: drawAssets,
    clear: function () { assetLayer.clearLayers(); } })];
  var cells = data("forecasts-url") ? viewLayer("cells", { url: data("forecasts-url"), draw: drawCells,
    clear: function () { heatLayer.clearLayers(); },
    params: function () { return chosenCategory() ? { category: chosenCategory() } : {}; } }) : null;
  if (cells) {
    layers.push(cells);
  }

  function refreshLayers() {
    return Promise.all(layers.map(function (layer) { return layer.refresh(false); }));
  }

  // After the first view is drawn: each move reads what the new view lacks (and names the streets or not).
  function follow() {
    var zoom = map.getZoom();
    map.on("moveend", function () {
      var rename = zoom !== map.getZoom() && Math.max(zoom, map.getZoom()) >= STREET_NAMES_FROM;
      zoom = map.getZoom();
      refreshLayers().then(function () {
        if (rename) { // names that fitted at one zoom may clash at another
          streets.redraw();
        }
      }, fail);
    });
  }

  // ------------------------------------------------------------ loading

  function fail(error) {
    container.setAttribute("data-state", "error");
    say("La carte n'a pas pu être chargée : " + error.message);
  }

  container.setAttribute("data-state", "loading");
  var background = getJSON(data("quartiers-url")).then(function (collection) {
    var layer = drawQuartiers(collection);
    if (collection.features.length) {
      map.fitBounds(layer.getBounds(), { animate: false });
    }
    return refreshLayers().then(follow);
  });
  Promise.all([background, getAll(data("cameras-url"), {}, Infinity).then(drawCameras), loadIncidents()])
    .then(function () { container.setAttribute("data-state", "ready"); }, fail);

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = new URLSearchParams(new FormData(form));
      history.replaceState(null, "", "?" + query.toString());
      container.setAttribute("data-state", "loading");
      Promise.all([loadIncidents(), cells ? cells.refresh(true) : null])
        .then(function () { container.setAttribute("data-state", "ready"); }, fail);
    });
  }
})();
