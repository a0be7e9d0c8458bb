// The "Console" page: a Cypher editor whose statements run through POST /api/query (read-only account, statement
// check, row cap, time limit), the library of saved queries from GET /api/queries, and the answer as a table
// and, when its rows hold nodes and relationships, as a Cytoscape graph. Data goes in with textContent only.
// The result region says what it shows for tests: data-state ("running", "ready", "error"), data-rows,
// data-truncated, data-nodes and data-edges.
(function () {
  "use strict";

  var form = document.getElementById("console-form");
  var editor = document.getElementById("requete");
  var limitField = document.getElementById("limite");
  var paramBox = document.getElementById("parametres");
  var paramFields = document.getElementById("parametres-champs");
  var library = document.getElementById("bibliotheque");
  var libraryStatus = document.getElementById("bibliotheque-etat");
  var alertBox = document.getElementById("console-erreur");
  var result = document.getElementById("resultat");
  var status = document.getElementById("resultat-etat");
  var truncatedNote = document.getElementById("resultat-tronque");
  var table = document.getElementById("resultat-table");
  var tabs = { table: document.getElementById("onglet-table"), graph: document.getElementById("onglet-graphe") };
  var panels = { table: document.getElementById("panneau-table"), graph: document.getElementById("panneau-graphe") };
  var graphBox = document.getElementById("graphe");
  var graphLegend = document.getElementById("graphe-legende");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  if (!form || !editor || !result) {
    return;
  }

  var COLOURS = { Incident: "#1f4e8c", Person: "#a3261b", Plate: "#b36b00", Vehicle: "#8c564b",
    Place: "#1f6b3a", Quartier: "#637939", Camera: "#6b3fa0", StreetAsset: "#17808c", Cell: "#7f7f7f",
    Forecast: "#c2185b" };
  var graphElements = null; // {nodes, edges} of the latest result, drawn when the graph tab opens
  var cy = null;

  // ------------------------------------------------------------ values as text (like `recoupe query`)

  function isNode(v) { return v !== null && typeof v === "object" && Array.isArray(v.labels) && "properties" in v; }
  function isRel(v) { return v !== null && typeof v === "object" && typeof v.type === "string" && "properties" in v; }
  function isPath(v) { return v !== null && typeof v === "object" && Array.isArray(v.nodes) && Array.isArray(v.relationships); }

  function quote(value) {
    return "'" + String(value).replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
  }

  function nodeText(node) {
    var labels = node.labels.map(function (l) { return ":" + l; }).join("");
    var props = node.properties || {};
    if (node.labels.indexOf("Person") >= 0) {
      return "(" + labels + " {pseudonym: " + quote(props.pseudonym) + "})";
    }
    return props.id !== undefined && props.id !== null ? "(" + labels + " {id: " + quote(props.id) + "})" : "(" + labels + ")";
  }

  function cellText(value) {
    if (value === null || value === undefined) {
      return "null";
    }
    if (Array.isArray(value)) {
      return "[" + value.map(function (v) { return typeof v === "string" ? quote(v) : cellText(v); }).join(", ") + "]";
    }
    if (typeof value === "object") {
      if (isNode(value)) {
        return nodeText(value);
      }
      if (isPath(value)) {
        var text = nodeText(value.nodes[0]);
        value.relationships.forEach(function (rel, n) { text += "-[:" + rel.type + "]-" + nodeText(value.nodes[n + 1]); });
        return text;
      }
      if (isRel(value)) {
        return "[:" + value.type + "]";
      }
      return "{" + Object.keys(value).map(function (k) {
        var v = value[k];
        return k + ": " + (typeof v === "string" ? quote(v) : cellText(v));
      }).join(", ") + "}";
    }
    return String(value);
  }

  // ------------------------------------------------------------ nodes and relationships of the rows

  function nodeKey(node) {
    var props = node.properties || {};
    var name = props.id !== undefined ? props.id : (props.pseudonym !== undefined ? props.pseudonym : JSON.stringify(props));
    return node.labels.join(":") + "|" + name;
  }

  function nodeCaption(node) {
    var props = node.properties || {};
    if (node.labels.indexOf("Person") >= 0) {
      return String(props.pseudonym);
    }
    return String(props.id !== undefined ? props.id : (props.name !== undefined ? props.name : node.labels[0] || "?"));
  }

  // A relationship is drawn between the nodes of the nearest columns on its left and right (RETURN a, r, b),
  // or between its neighbours in a path; the console's answer does not say which end is which.
  function extractGraph(rows) {
    var nodes = {};
    var edges = {};
    function addNode(node) {
      var key = nodeKey(node);
      if (!nodes[key]) {
        nodes[key] = { data: { id: "n" + Object.keys(nodes).length, key: key, caption: nodeCaption(node),
          label: node.labels[0] || "", colour: COLOURS[node.labels[0]] || "#5a6272" } };
      }
      return nodes[key].data.id;
    }
    function addEdge(rel, a, b) {
      var key = rel.type + "|" + a + "|" + b + "|" + JSON.stringify(rel.properties || {});
      if (!edges[key]) {
        edges[key] = { data: { id: "e" + Object.keys(edges).length, source: a, target: b, type: rel.type } };
      }
    }
    function walk(value) {
      if (Array.isArray(value)) {
        value.forEach(walk);
      } else if (isPath(value)) {
        var ids = value.nodes.map(addNode);
        value.relationships.forEach(function (rel, n) { addEdge(rel, ids[n], ids[n + 1]); });
      } else if (isNode(value)) {
        addNode(value);
      }
    }
    rows.forEach(function (row) {
      row.forEach(walk);
      row.forEach(function (value, k) {
        if (!isRel(value) || isNode(value) || isPath(value)) {
          return;
        }
        var left = null;
        var right = null;
        for (var l = k - 1; l >= 0 && left === null; l -= 1) { if (isNode(row[l])) { left = row[l]; } }
        for (var r = k + 1; r < row.length && right === null; r += 1) { if (isNode(row[r])) { right = row[r]; } }
        if (left && right) {
          addEdge(value, addNode(left), addNode(right));
        }
      });
    });
    return { nodes: Object.keys(nodes).map(function (k) { return nodes[k]; }),
      edges: Object.keys(edges).map(function (k) { return edges[k]; }) };
  }

  function drawGraph() {
    if (!graphBox || typeof cytoscape === "undefined" || !graphElements) {
      return;
    }
    if (cy) {
      cy.destroy();
    }
    cy = cytoscape({
      container: graphBox,
      maxZoom: 2, // a few nodes fill the box without giant captions
      elements: graphElements.nodes.concat(graphElements.edges),
      style: [
        { selector: "node", style: { "background-color": "data(colour)", "label": "data(caption)", "font-size": 11,
          "color": "#1d2330", "text-valign": "bottom", "text-margin-y": 3, "width": 24, "height": 24 } },
        { selector: "edge", style: { "width": 1.5, "line-color": "#8a919e", "label": "data(type)", "font-size": 8,
          "color": "#5a6272", "curve-style": "bezier", "text-rotation": "autorotate" } }
      ],
      layout: { name: graphElements.nodes.length > 60 ? "grid" : "cose", animate: false, padding: 20 }
    });
    var labels = {};
    graphElements.nodes.forEach(function (n) { labels[n.data.label] = (labels[n.data.label] || 0) + 1; });
    if (graphLegend) {
      graphLegend.textContent = graphElements.nodes.length + " nœuds (" + Object.keys(labels).sort().map(function (l) {
        return l + " " + labels[l];
      }).join(", ") + "), " + graphElements.edges.length + " relations.";
    }
  }

  function showTab(name) {
    Object.keys(tabs).forEach(function (key) {
      tabs[key].setAttribute("aria-selected", key === name ? "true" : "false");
      panels[key].hidden = key !== name;
    });
    if (name === "graph") {
      drawGraph();
    }
  }
  tabs.table.addEventListener("click", function () { showTab("table"); });
  tabs.graph.addEventListener("click", function () { showTab("graph"); });

  // ------------------------------------------------------------ the answer

  function seconds(value) {
    return value.toLocaleString("fr-FR", { maximumFractionDigits: 2 }) + " s";
  }

  // Nothing shown: the table emptied, no notice, no graph.
  function clearResult() {
    table.tHead.rows[0].replaceChildren();
    table.tBodies[0].replaceChildren();
    truncatedNote.hidden = true;
    graphElements = null;
    if (cy) {
      cy.destroy();
      cy = null;
    }
    tabs.graph.disabled = true;
    showTab("table");
    result.dataset.rows = result.dataset.nodes = result.dataset.edges = "0";
    result.dataset.truncated = "false";
  }

  function showRows(body, limit) {
    var head = table.tHead.rows[0];
    var tbody = table.tBodies[0];
    clearResult();
    body.columns.forEach(function (column) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = column;
      head.appendChild(th);
    });
    body.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (value) {
        var td = document.createElement("td");
        td.textContent = cellText(value);
        if (value === null) {
          td.className = "null";
        }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    var count = body.row_count;
    say(count === 0 ? "Aucune ligne (" + seconds(body.seconds) + ")." :
      count + (count === 1 ? " ligne" : " lignes") + " en " + seconds(body.seconds) + ".");
    var notes = [];
    if (body.truncated) {
      notes.push(count + " premières lignes sur plus de " + count + " : augmentez la limite (" + limit +
        ") pour en voir davantage.");
    }
    if (body.timed_out) {
      notes.push("Arrêtée après le temps limite : " + count + " lignes reçues, le résultat est incomplet ; " +
        "resserrez la requête.");
    }
    truncatedNote.textContent = notes.join(" ");
    truncatedNote.hidden = notes.length === 0;
    var graphWasShown = tabs.graph.getAttribute("aria-selected") === "true";
    graphElements = extractGraph(body.rows);
    var drawable = graphElements.nodes.length > 0;
    tabs.graph.disabled = !drawable;
    result.dataset.rows = String(count);
    result.dataset.truncated = body.truncated ? "true" : "false";
    result.dataset.nodes = String(graphElements.nodes.length);
    result.dataset.edges = String(graphElements.edges.length);
    showTab(drawable && graphWasShown ? "graph" : "table");
  }

  function say(text) {
    status.textContent = text;
  }

  // The API's refusal in French; its own words follow as a detail (the check speaks English, as the CLI does).
  var REFUSALS = [
    [/^Statement refused: (\w+), which writes to the graph \(line (\d+), column (\d+)\)/, function (m) {
      return "Requête refusée : « " + m[1] + " » écrit dans le graphe (ligne " + m[2] + ", colonne " + m[3] +
        "). La console ne fait que lire (MATCH … RETURN) ; les données changent par « recoupe ingest » et " +
        "« recoupe link ».";
    }],
    [/^Statement refused: several statements/, function () {
      return "Requête refusée : plusieurs instructions. Envoyez-en une seule, sans « ; » entre elles.";
    }],
    [/^Statement refused: CALL (\S+), which is not an allowed read procedure/, function (m) {
      return "Requête refusée : la procédure « " + m[1] + " » n'est pas permise (seuls CALL { … } et " +
        "db.labels() et les procédures de lecture semblables le sont).";
    }],
    [/^Statement refused: an unterminated .*\(line (\d+), column (\d+)\)/, function (m) {
      return "Requête refusée : chaîne, commentaire ou nom non fermé (ligne " + m[1] + ", colonne " + m[2] + ").";
    }],
    [/^Statement refused: (?:a non-ASCII character|an invisible character|an invisible bidirectional control) (U\+[0-9A-F]+).*\(line (\d+), column (\d+)\)/, function (m) {
      return "Requête refusée : caractère " + m[1] + " interdit hors des chaînes, des noms entre accents " +
        "graves et des commentaires (ligne " + m[2] + ", colonne " + m[3] + "). Écrivez entre accents graves " +
        "les noms à lettres non ASCII (`catégorie`) ; supprimez les caractères invisibles.";
    }],
    [/^The statement is empty/, function () { return "La requête est vide."; }],
    [/^The statement is .* characters long/, function () { return "La requête est trop longue."; }]
  ];

  function showError(error) {
    var message = (error && error.message) || "Erreur inattendue.";
    var french = null;
    REFUSALS.forEach(function (pair) {
      var match = french === null && pair[0].exec(message);
      if (match) {
        french = pair[1](match);
      }
    });
    alertBox.replaceChildren();
    var lead = document.createElement("p");
    lead.className = "console-error-lead";
    lead.textContent = french || message;
    alertBox.appendChild(lead);
    if (french) {
      var detail = document.createElement("p");
      detail.className = "hint";
      detail.textContent = "Message de l'API : " + message;
      alertBox.appendChild(detail);
    }
    var fields = error && error.fields ? Object.keys(error.fields) : [];
    if (!french && (fields.length || error.hint)) {
      var more = document.createElement("p");
      more.className = "hint";
      more.textContent = fields.map(function (k) { return k + " : " + error.fields[k]; })
        .concat(error.hint ? ["conseil : " + error.hint] : []).join(" ; ");
      alertBox.appendChild(more);
    }
    alertBox.hidden = false;
    clearResult();
    result.dataset.state = "error";
    say("Pas de résultat : voir le message ci-dessus.");
  }

  // ------------------------------------------------------------ running a statement

  function parameters() {
    var values = {};
    var problems = [];
    Array.prototype.forEach.call(paramFields.querySelectorAll("input[data-param]"), function (input) {
      var name = input.dataset.param;
      if (!named(name)) {
        return; // a parameter the edited statement no longer names
      }
      var raw = input.value.trim();
      if (raw === "") {
        values[name] = null;
      } else if (input.dataset.type === "integer") {
        if (!/^-?\d+$/.test(raw)) {
          problems.push("« " + name + " » : nombre entier attendu");
        }
        values[name] = parseInt(raw, 10);
      } else {
        values[name] = raw;
      }
    });
    return { values: values, problems: problems };
  }

  function run() {
    var statement = editor.value;
    var limit = parseInt(limitField.value, 10);
    var params = parameters();
    alertBox.hidden = true;
    if (!statement.trim()) {
      showError({ message: "The statement is empty" });
      return;
    }
    if (!(limit >= 1 && limit <= parseInt(limitField.max, 10))) {
      showError({ message: "Limite de lignes invalide : donnez un nombre de 1 à " + limitField.max + "." });
      return;
    }
    if (params.problems.length) {
      showError({ message: "Paramètres invalides : " + params.problems.join(" ; ") + "." });
      return;
    }
    result.dataset.state = "running";
    say("Exécution…");
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (csrf) {
      headers["X-CSRF-Token"] = csrf.getAttribute("content");
    }
    fetch(form.dataset.url, {
      method: "POST", credentials: "same-origin", headers: headers,
      body: JSON.stringify({ statement: statement, limit: limit, parameters: params.values })
    }).then(function (response) {
      if (response.status === 401) {
        throw { message: "Session expirée : reconnectez-vous." };
      }
      return response.json().then(function (body) {
        if (!response.ok) {
          throw (body && body.error) || { message: "Erreur " + response.status + "." };
        }
        return body;
      }, function () { throw { message: "Erreur " + response.status + "." }; });
    }).then(function (body) {
      showRows(body, limit);
      result.dataset.state = "ready";
    }).catch(function (error) {
      showError(error instanceof Error ? { message: "Le serveur ne répond pas : " + error.message } : error);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  // The parameters fieldset shows while the statement names one of them.
  function named(name) {
    return new RegExp("\\$" + name + "\\b").test(editor.value);
  }
  function refreshParams() {
    var inputs = Array.prototype.slice.call(paramFields.querySelectorAll("input[data-param]"));
    paramBox.hidden = !inputs.some(function (input) { return named(input.dataset.param); });
  }
  editor.addEventListener("input", refreshParams);
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });

  // ------------------------------------------------------------ the library

  function load(query) {
    editor.value = query.cypher;
    paramFields.replaceChildren();
    query.parameters.forEach(function (param) {
      var label = document.createElement("label");
      var name = document.createElement("code");
      name.textContent = "$" + param.name;
      label.appendChild(document.createTextNode(param.label + " "));
      label.appendChild(name);
      var input = document.createElement("input");
      input.type = param.type === "integer" ? "number" : "text";
      input.value = String(param.default);
      input.dataset.param = param.name;
      input.dataset.type = param.type;
      input.id = "parametre-" + param.name;
      label.htmlFor = input.id;
      paramFields.appendChild(label);
      paramFields.appendChild(input);
    });
    refreshParams();
    result.dataset.query = query.id;
    editor.focus();
  }

  function entry(query) {
    var item = document.createElement("li");
    item.dataset.id = query.id;
    var title = document.createElement("button");
    title.type = "button";
    title.className = "console-query-title";
    title.textContent = query.title;
    title.title = "Charger dans l'éditeur";
    title.addEventListener("click", function () { load(query); });
    var runButton = document.createElement("button");
    runButton.type = "button";
    runButton.className = "console-query-run";
    runButton.textContent = "Exécuter";
    runButton.setAttribute("aria-label", "Exécuter « " + query.title + " »");
    runButton.addEventListener("click", function () {
      load(query);
      run();
    });
    var about = document.createElement("p");
    about.className = "hint";
    about.textContent = query.description;
    item.appendChild(title);
    item.appendChild(runButton);
    item.appendChild(about);
    return item;
  }

  fetch(library.dataset.url + "?limit=500", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("Erreur " + response.status);
      }
      return response.json();
    })
    .then(function (body) {
      body.items.forEach(function (query) { library.appendChild(entry(query)); });
      library.dataset.state = "ready";
      libraryStatus.textContent = body.total + " requêtes : cliquez un titre pour la charger dans l'éditeur.";
    })
    .catch(function (error) {
      libraryStatus.textContent = "Bibliothèque indisponible (" + error.message + ").";
    });
})();
