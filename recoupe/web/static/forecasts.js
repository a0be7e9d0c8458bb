// The "Prévisions" page's map: the quartiers as background (no tiles: no tile server is reachable) and the
// forecast cells from /api/forecasts/cells, coloured by probability in five steps relative to the highest shown.
// Text from the data goes in with textContent only; when the cells are drawn, the map's container says how many
// (data-cells) and data-state becomes "ready".
(function () {
  "use strict";

  var MARSEILLE = [43.2965, 5.3698];
  var STEPS = 5;

  var container = document.getElementById("carte-previsions");
  var status = document.getElementById("carte-etat");
  var legend = document.getElementById("legende-risque");
  if (!container || typeof L === "undefined") {
    return;
  }

  var map = L.map(container, { attributionControl: false }).setView(MARSEILLE, 12);
  map.createPane("quartiers");
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

  var getJSON = window.Recoupe.getJSON; // recoupe.js

  function percent(p) {
    return (100 * p).toLocaleString("fr-FR", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + " %";
  }

  // Step 1 (lowest) to STEPS (highest) of a probability, relative to the highest on the map.
  function step(p, top) {
    return top > 0 ? Math.max(1, Math.min(STEPS, Math.ceil(STEPS * p / top))) : 1;
  }

  function card(props) {
    var box = document.createElement("div");
    box.className = "map-card";
    var title = document.createElement("strong");
    title.textContent = "Maille " + props.cell;
    box.appendChild(title);
    [
      "Rang " + props.rank + " parmi les mailles",
      "Probabilité : " + percent(props.probability),
      "Catégorie : " + (categoryNames[props.category] || props.category)
    ].forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      box.appendChild(p);
    });
    var link = document.createElement("a");
    var query = new URLSearchParams({ cell: props.cell });
    if (container.getAttribute("data-horizon")) {
      query.set("horizon", container.getAttribute("data-horizon"));
    }
    link.href = container.getAttribute("data-page-url") + "?" + query.toString();
    link.textContent = "Voir les prévisions et l'explication";
    var p = document.createElement("p");
    p.appendChild(link);
    box.appendChild(p);
    return box;
  }

  function drawLegend(top) {
    if (!legend) {
      return;
    }
    legend.textContent = "";
    for (var i = 1; i <= STEPS; i += 1) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch risk-" + i;
      swatch.setAttribute("aria-hidden", "true");
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(
        "jusqu'à " + percent(top * i / STEPS)));
      legend.appendChild(item);
    }
  }

  function drawQuartiers(collection) {
    return L.geoJSON(collection, { pane: "quartiers", className: "map-quartier", interactive: false }).addTo(map);
  }

  function drawCells(collection) {
    var features = collection.features;
    var top = features.reduce(function (m, f) { return Math.max(m, f.properties.probability || 0); }, 0);
    var layer = L.geoJSON(collection, {
      style: function (feature) {
        return { className: "forecast-cell risk-" + step(feature.properties.probability || 0, top) };
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 8 });
      },
      onEachFeature: function (feature, shape) {
        shape.bindPopup(card(feature.properties));
      }
    }).addTo(map);
    drawLegend(top);
    container.setAttribute("data-cells", String(features.length));
    var text = features.length + " maille" + (features.length > 1 ? "s" : "") + " sur la carte";
    if (collection.total > features.length) {
      text += " (les " + features.length + " plus à risque sur " + collection.total + ")";
    }
    say(text + ".");
    return layer;
  }

  Promise.all([
    getJSON(container.getAttribute("data-quartiers-url")).then(drawQuartiers),
    getJSON(container.getAttribute("data-cells-url")).then(drawCells)
  ]).then(function (layers) {
    var bounds = layers[1].getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] });
    } else if (layers[0].getBounds().isValid()) {
      map.fitBounds(layers[0].getBounds());
    }
    container.setAttribute("data-state", "ready");
  }, function (error) {
    container.setAttribute("data-state", "error");
    say("La carte n'a pas pu être chargée : " + error.message);
  });
})();
