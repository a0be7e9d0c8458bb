// The incident page's small map: the place as a point, a circle as wide as its precision when it is not an
// exact address, the quartier's outline and the nearby streets' names, from the container's data attributes
// and the API; no tiles. When drawn, the container's data-state becomes "ready" (data-circle: "1" when the
// precision circle is drawn; data-quartier-drawn and data-streets: what else is there).
(function () {
  "use strict";

  var box = document.getElementById("petite-carte");
  if (!box || typeof L === "undefined" || !window.RecoupeMap) {
    return;
  }
  var NAMED_STREETS = 5; // the streets nearest to the place keep their names written; the others on hover
  var common = window.RecoupeMap;
  function data(name) {
    return box.getAttribute("data-" + name) || "";
  }
  var lat = Number(data("lat"));
  var lon = Number(data("lon"));
  var radius = Number(data("radius")) || 0;
  if (!isFinite(lat) || !isFinite(lon)) {
    return;
  }

  var map = L.map(box, { attributionControl: false, minZoom: 10, maxZoom: 19, scrollWheelZoom: false });
  map.createPane("quartiers"); // stacked by map.css: the quartier, then the streets, under the circle and point
  map.createPane("streets");
  var point = L.circleMarker([lat, lon], { radius: 7, className: "incident-point" });
  var caption = data("place") || "lieu de l'incident";
  point.bindPopup(common.card(caption, null, ["Précision : " + data("precision-label")]));
  var shown = L.latLngBounds([[lat, lon], [lat, lon]]);
  if (radius > 0) {
    shown = L.latLng(lat, lon).toBounds(2 * radius);
    map.fitBounds(shown, { padding: [20, 20], animate: false, maxZoom: 17 });
    L.circle([lat, lon], { radius: radius, className: "incident-precision", interactive: false }).addTo(map);
    box.setAttribute("data-circle", "1");
  } else {
    map.setView([lat, lon], 17, { animate: false });
    box.setAttribute("data-circle", "0");
  }
  point.addTo(map);

  function outline() {
    if (!data("quartier")) {
      return Promise.resolve(0);
    }
    var query = new URLSearchParams({ name: data("quartier") });
    return common.getJSON(data("quartiers-url") + "?" + query.toString()).then(function (collection) {
      if (!collection.features.length) {
        return 0;
      }
      var layer = L.geoJSON(collection, { className: "map-quartier", interactive: false, pane: "quartiers" }).addTo(map);
      if (data("precision") === "quartier" || data("precision") === "arrondissement") {
        map.fitBounds(layer.getBounds().extend(shown), { padding: [10, 10], animate: false });
      }
      return collection.features.length;
    });
  }

  function streets() {
    var query = new URLSearchParams({ bbox: common.bbox(map.getBounds()), limit: "200" });
    return common.getJSON(data("streets-url") + "?" + query.toString()).then(function (body) {
      var here = L.latLng(lat, lon);
      var near = body.items.map(function (street) { return [map.distance(here, [street.lat, street.lon]), street]; })
        .sort(function (a, b) { return a[0] - b[0]; });
      var named = common.unclashed(near.map(function (pair) { // the nearest few keep their names written
        return map.latLngToContainerPoint([pair[1].lat, pair[1].lon]);
      }), NAMED_STREETS);
      near.forEach(function (pair, index) {
        common.streetDot(pair[1], "streets", Boolean(named[index])).addTo(map);
      });
      return near.length;
    });
  }

  outline().then(function (quartiers) {
    box.setAttribute("data-quartier-drawn", String(quartiers));
    return streets();
  }).then(function (count) {
    box.setAttribute("data-streets", String(count));
    box.setAttribute("data-state", "ready");
  }, function (error) {
    box.setAttribute("data-state", "error");
    box.setAttribute("title", "La carte n'a pas pu être chargée : " + error.message);
  });
})();
