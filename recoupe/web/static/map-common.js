// What the map (map.js) and the incident page's small map (incident-map.js) share: reading the API, popups
// built from DOM nodes (text from the data goes in with textContent only), French dates, street dots; and the
// Carte's clusters and layers read for the map's view.
(function () {
  "use strict";

  var getJSON = window.Recoupe.getJSON; // recoupe.js

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

  // Which of `points` (container points, the preferred first) may carry a written name without overlapping an
  // earlier one's: their indexes, at most `limit`.
  function unclashed(points, limit) {
    var kept = [];
    var chosen = {};
    points.forEach(function (at, index) {
      var free = kept.length < limit && kept.every(function (other) {
        return Math.abs(other.y - at.y) > 20 || Math.abs(other.x - at.x) > 140;
      });
      if (free) {
        kept.push(at);
        chosen[index] = true;
      }
    });
    return chosen;
  }

  // "west,south,east,north" of a Leaflet bounds, inside the world, for the API's bbox parameter.
  function bbox(bounds) {
    return [Math.max(-180, bounds.getWest()), Math.max(-90, bounds.getSouth()), Math.min(180, bounds.getEast()),
      Math.min(90, bounds.getNorth())].map(function (v) { return v.toFixed(5); }).join(",");
  }

  // ------------------------------------------------------------ the Carte's layers

  function clusterIcon(kind) {
    return function (cluster) {
      var count = cluster.getChildCount();
      var size = count < 10 ? 28 : count < 100 ? 34 : 40;
      var label = document.createElement("span");
      label.textContent = String(count);
      return L.divIcon({ html: label, className: "map-cluster " + kind + "-cluster", iconSize: L.point(size, size) });
    };
  }

  // A cluster group on `map` whose icons are of class `<kind>-cluster`. A cluster, clicked (or Enter): zoom
  // to its markers with a margin (the plugin's own zoom puts them on the map's edges, under the controls);
  // spread them out when they share one point or the zoom is at its end.
  function clustered(map, kind, options) {
    // no cluster animation: markers appear where they end up (less motion, and nothing drawn twice mid-way)
    var group = L.markerClusterGroup(L.extend({ iconCreateFunction: clusterIcon(kind), showCoverageOnHover: false,
      zoomToBoundsOnClick: false, spiderfyOnMaxZoom: false, animate: false }, options));
    group.on("clusterclick clusterkeypress", function (event) {
      var key = event.originalEvent && event.originalEvent.key;
      if (event.type === "clusterkeypress" && key !== "Enter" && key !== " ") {
        return;
      }
      var bounds = event.layer.getBounds();
      if (bounds.getNorthEast().equals(bounds.getSouthWest()) || map.getZoom() >= map.getMaxZoom()) {
        event.layer.spiderfy();
      } else {
        event.layer.zoomToBounds({ padding: [60, 60] });
      }
    });
    return group.addTo(map);
  }

  // A layer read for the map's view (padded by a quarter) from an endpoint taking bbox and limit; read again
  // when the map moves out of what it holds or when that was cut by the limit; emptied below `minZoom`.
  // options: url, name (the container's data-<name> and data-<name>-bbox say what is drawn, for what box),
  // minZoom, limit, params() (more query parameters), draw(body) (returns how many it drew), clear().
  function viewLayer(map, container, options) {
    var held = null;
    var asked = 0;
    function refresh(force) {
      if (map.getZoom() < options.minZoom) {
        held = null;
        options.clear();
        container.setAttribute("data-" + options.name, "0");
        return Promise.resolve(0);
      }
      var view = map.getBounds();
      if (!force && held && held.complete && held.bounds.contains(view)) {
        return Promise.resolve(held.drawn);
      }
      var wanted = view.pad(0.25);
      var box = bbox(wanted);
      var query = new URLSearchParams(options.params());
      query.set("bbox", box);
      query.set("limit", String(options.limit));
      asked += 1;
      var ticket = asked;
      return getJSON(options.url + "?" + query.toString()).then(function (body) {
        if (ticket !== asked) {
          return held ? held.drawn : 0; // a later request supersedes this one
        }
        var count = (body.items || body.features).length;
        held = { bounds: wanted, complete: body.total <= count, body: body, drawn: options.draw(body) };
        container.setAttribute("data-" + options.name, String(held.drawn));
        container.setAttribute("data-" + options.name + "-bbox", box);
        return held.drawn;
      });
    }
    return {
      refresh: refresh,
      redraw: function () { return held ? options.draw(held.body) : 0; }
    };
  }

  window.RecoupeMap = { getJSON: getJSON, card: card, when: when, streetDot: streetDot, unclashed: unclashed,
    bbox: bbox, clustered: clustered, viewLayer: viewLayer };
})();
