// The "Explorateur" page: a graph drawn with Cytoscape.js from /api/graph/neighbours. It starts from the node
// the page names (data-start: the search's first match, or the one chosen), and a click on a node selects it
// (details in the side panel) and adds its neighbours. The relationship boxes and the period filter what is
// drawn (what stays reachable from the start node) and the next expansions. Data reaches the DOM through
// textContent only. When drawn, the container says how many nodes and edges show (data-nodes, data-edges)
// and data-state becomes "ready". `window.explorateur` is the Cytoscape instance, for the browser's console.
(function () {
  "use strict";

  var container = document.getElementById("graphe");
  if (!container || typeof cytoscape === "undefined") {
    return;
  }
  var status = document.getElementById("explorateur-etat");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#types input[type=checkbox]"));
  var first = document.getElementById("debut");
  var last = document.getElementById("fin");
  var root = container.getAttribute("data-start") || "";
  var buttons = ["export-png", "export-json", "recentrer"].map(function (id) { return document.getElementById(id); });
  var typeNames = {};
  boxes.forEach(function (box) {
    typeNames[box.value] = box.parentNode.textContent.trim();
  });
  var loading = false;

  // The colour of each kind, from the legend's swatches (explorer.css holds them once).
  function kindStyles() {
    var styles = [];
    Array.prototype.forEach.call(document.querySelectorAll("#legende .swatch[data-kind]"), function (swatch) {
      var colour = window.getComputedStyle(swatch).getPropertyValue("--c").trim();
      var kind = swatch.getAttribute("data-kind");
      if (colour && /^[a-z]+$/.test(kind)) {
        styles.push({ selector: "node[kind = \"" + kind + "\"]", style: { "background-color": colour } });
      }
    });
    return styles;
  }

  var cy = cytoscape({
    container: container,
    elements: [],
    minZoom: 0.2,
    maxZoom: 3,
    boxSelectionEnabled: false,
    style: [
      { selector: "node", style: {
        "background-color": "#7f7f7f", label: "data(label)", "font-size": 10, color: "#1d2330",
        "text-valign": "bottom", "text-halign": "center", "text-margin-y": 3, "text-wrap": "wrap",
        "text-max-width": "130px", "text-outline-color": "#ffffff", "text-outline-width": 2, width: 22, height: 22
      } },
      { selector: "node[kind = \"incident\"]", style: { shape: "round-rectangle", width: 26, height: 18 } },
      { selector: "node[kind = \"person\"]", style: { shape: "ellipse", width: 26, height: 26 } },
      { selector: "node[kind = \"camera\"]", style: { shape: "triangle" } },
      { selector: "node[kind = \"place\"], node[kind = \"quartier\"], node[kind = \"arrondissement\"]",
        style: { shape: "diamond" } }
    ].concat(kindStyles(), [
      { selector: "node.expanded", style: { "border-width": 3, "border-color": "#1d2330" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#f2b705" } },
      { selector: "edge", style: {
        width: 1.5, "line-color": "#9aa3b2", "target-arrow-color": "#9aa3b2", "target-arrow-shape": "triangle",
        "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#5a6272",
        "text-rotation": "autorotate", "text-background-color": "#ffffff", "text-background-opacity": 0.85
      } },
      { selector: ".hidden", style: { display: "none" } }
    ])
  });
  window.explorateur = cy;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  var getJSON = window.Recoupe.getJSON; // recoupe.js

  function checkedTypes() {
    return boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  // The filter the next expansion uses: its query string (the API's period runs from the first day's midnight
  // to the midnight after the last, Paris time, as the page's days do).
  function filterQuery(nodeId) {
    var params = new URLSearchParams();
    params.set("node", nodeId);
    var types = checkedTypes();
    if (types.length < boxes.length) {
      params.set("types", types.join(","));
    }
    if (first.value) {
      params.set("from", first.value + "T00:00:00");
    }
    if (last.value) {
      var after = new Date(last.value + "T00:00:00Z");
      after.setUTCDate(after.getUTCDate() + 1);
      params.set("to", after.toISOString().slice(0, 10) + "T00:00:00");
    }
    return params;
  }

  function outOfWindow(node) {
    var day = node.data("day");
    if (node.data("kind") !== "incident" || !day) {
      return false;
    }
    return (first.value && day < first.value) || (last.value && day > last.value);
  }

  // Show what stays reachable from the start node through the checked relationship types and the incidents
  // inside the period; hide the rest (kept, so that widening the filter brings it back).
  function applyFilters() {
    var allowed = {};
    checkedTypes().forEach(function (type) { allowed[type] = true; });
    var start = cy.getElementById(root);
    var seen = {};
    var queue = start.nonempty() ? [start] : [];
    if (start.nonempty()) {
      seen[root] = 1;
    }
    while (queue.length) {
      var node = queue.shift();
      node.connectedEdges().forEach(function (edge) {
        if (!allowed[edge.data("type")]) {
          return;
        }
        var other = edge.source().id() === node.id() ? edge.target() : edge.source();
        if (!seen[other.id()] && !outOfWindow(other)) {
          seen[other.id()] = seen[node.id()] + 1;
          queue.push(other);
        }
      });
    }
    cy.batch(function () {
      cy.nodes().forEach(function (node) {
        node.toggleClass("hidden", !seen[node.id()]);
        node.scratch("_depth", seen[node.id()] || 0);
      });
      cy.edges().forEach(function (edge) {
        var shown = allowed[edge.data("type")] && seen[edge.source().id()] && seen[edge.target().id()];
        edge.toggleClass("hidden", !shown);
      });
    });
    count();
  }

  // The drawn nodes as a list of buttons, for the keyboard (the canvas takes no focus).
  function list() {
    var holder = document.getElementById("liste-noeuds");
    if (!holder) {
      return;
    }
    var shown = cy.nodes().not(".hidden").sort(function (a, b) {
      return a.scratch("_depth") - b.scratch("_depth") || (a.id() < b.id() ? -1 : 1);
    });
    holder.replaceChildren();
    shown.forEach(function (node) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = (node.data("title") || node.id()) + (node.hasClass("expanded") ? " (développé)" : "");
      button.setAttribute("data-node", node.id());
      button.addEventListener("click", function () { choose(node); });
      item.appendChild(button);
      holder.appendChild(item);
    });
  }

  function count() {
    list();
    var nodes = cy.nodes().not(".hidden").length;
    var edges = cy.edges().not(".hidden").length;
    container.setAttribute("data-nodes", String(nodes));
    container.setAttribute("data-edges", String(edges));
    say(nodes + " nœud" + (nodes > 1 ? "s" : "") + " et " + edges + " relation" + (edges > 1 ? "s" : "") +
      " dessinés. Cliquez sur un nœud pour ajouter ses voisins.");
  }

  // Rings around the start node, one per step away from it: the same graph always lands the same way.
  function layout() {
    var shown = cy.elements().not(".hidden");
    var run = shown.layout({ name: "concentric", animate: false, fit: true, padding: 40, avoidOverlap: true,
      minNodeSpacing: 45, startAngle: 3 / 2 * Math.PI, levelWidth: function () { return 1; },
      concentric: function (node) { return 100 - node.scratch("_depth"); } });
    var done = run.promiseOn("layoutstop");
    run.run();
    return done;
  }

  function show(node) {
    var facts = document.getElementById("details-faits");
    var link = document.getElementById("details-lien");
    document.getElementById("details-vide").hidden = true;
    facts.hidden = false;
    var legend = document.querySelector("#legende .swatch[data-kind=\"" + node.data("kind") + "\"]");
    document.getElementById("details-type").textContent = legend ? legend.parentNode.textContent.trim() : node.data("kind");
    document.getElementById("details-titre").textContent = node.data("title") || "";
    document.getElementById("details-id").textContent = node.id();
    var url = node.data("url");
    link.hidden = !url;
    if (url) {
      link.firstElementChild.href = url;
    }
    document.getElementById("details-tronque").hidden = !node.scratch("_truncated");
  }

  function add(body) {
    var near = cy.getElementById(body.node);
    var at = near.nonempty() ? near.position() : { x: 0, y: 0 };
    cy.batch(function () {
      body.nodes.forEach(function (node, n) {
        if (cy.getElementById(node.id).empty()) {
          var angle = 2 * Math.PI * n / Math.max(body.nodes.length, 1);
          cy.add({ group: "nodes", data: node, position: { x: at.x + 80 * Math.cos(angle), y: at.y + 80 * Math.sin(angle) } });
        }
      });
      body.edges.forEach(function (edge) {
        if (cy.getElementById(edge.id).empty()) {
          var data = { id: edge.id, source: edge.source, target: edge.target, type: edge.type,
            label: typeNames[edge.type] || edge.type };
          cy.add({ group: "edges", data: data });
        }
      });
    });
    var centre = cy.getElementById(body.node);
    centre.addClass("expanded");
    centre.scratch("_truncated", body.truncated);
    return centre;
  }

  // Add a node's neighbours (once per filter: a node expanded again under another filter asks again).
  function expand(nodeId) {
    var query = filterQuery(nodeId);
    var node = cy.getElementById(nodeId);
    if (loading || (node.nonempty() && node.scratch("_expandedWith") === query.toString())) {
      return Promise.resolve();
    }
    if (!checkedTypes().length) {
      say("Aucune relation cochée : cochez au moins un type de relation à suivre.");
      container.setAttribute("data-state", "ready");
      return Promise.resolve();
    }
    loading = true;
    container.setAttribute("data-state", "loading");
    say("Chargement des voisins…");
    return getJSON(container.getAttribute("data-neighbours-url") + "?" + query.toString())
      .then(function (body) {
        var centre = add(body);
        centre.scratch("_expandedWith", query.toString());
        applyFilters();
        return layout().then(function () {
          buttons.forEach(function (button) { button.disabled = false; });
          if (centre.selected()) {
            show(centre);
          }
          if (body.truncated) {
            say(status.textContent + " Trop de voisins pour " + body.node + " : seuls les premiers sont dessinés.");
          }
        });
      })
      .catch(function (error) {
        say("Le graphe n'a pas pu être chargé : " + error.message);
      })
      .then(function () {
        loading = false;
        container.setAttribute("data-state", "ready");
      });
  }

  function download(href, name) {
    var link = document.createElement("a");
    link.href = href;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  // A node chosen (clicked, or its button in the list): selected, described, and its neighbours added.
  function choose(node) {
    cy.elements().unselect();
    node.select();
    show(node);
    return expand(node.id());
  }

  cy.on("tap", "node", function (event) {
    choose(event.target);
  });

  boxes.concat([first, last]).forEach(function (input) {
    input.addEventListener("change", function () {
      applyFilters();
      layout();
    });
  });

  buttons[0].addEventListener("click", function () {
    download(cy.png({ full: true, bg: "#ffffff", scale: 2 }), "explorateur.png");
  });
  buttons[1].addEventListener("click", function () {
    var shown = cy.elements().not(".hidden");
    var graph = {
      start: root,
      exported_at: new Date().toISOString(),
      nodes: shown.nodes().map(function (node) { return { data: node.data(), position: node.position() }; }),
      edges: shown.edges().map(function (edge) { return { data: edge.data() }; })
    };
    download("data:application/json;charset=utf-8," + encodeURIComponent(JSON.stringify(graph, null, 2)),
      "explorateur.json");
  });
  buttons[2].addEventListener("click", function () {
    cy.fit(cy.elements().not(".hidden"), 40);
  });

  if (root) {
    expand(root).then(function () {
      var start = cy.getElementById(root);
      if (start.nonempty()) {
        start.select();
        show(start);
      }
    });
  } else {
    container.setAttribute("data-state", "ready");
    count();
    say("Cherchez un incident, une plaque, un pseudonyme ou une rue pour commencer.");
  }
}());
