// The demo product's own script: tells the widget where the user is (and who: a Team-plan
// user, for the prompts' audiences), routes the projects section on the client like a
// single-page app, and reports "project_archived" with Frontdesk('track', …) for the prompt
// that triggers on it; on the support page, attaches the widget's suggestions to the
// product's own support form with Frontdesk('deflect', …).
(function () {
  "use strict";
  var body = document.body;
  var PROJECT_ROUTES = [
    { re: /^\/demo\/projects\/?$/, route: "/projects", title: "Projects" },
    { re: /^\/demo\/projects\/(\d+)\/board\/?$/, route: "/projects/:id/board", title: "Board" },
    { re: /^\/demo\/projects\/(\d+)\/settings\/?$/, route: "/projects/:id/settings", title: "Project settings" },
  ];

  function tellWidget(route, title, context) {
    window.Frontdesk("page", { url: location.href, route: route, title: title, context: context || {} });
  }

  function el(tag, text) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    return node;
  }

  function renderProjects() {
    var view = document.getElementById("spa-view");
    if (!view) return;
    var match = null;
    var page = PROJECT_ROUTES[0];
    for (var i = 0; i < PROJECT_ROUTES.length; i++) {
      match = PROJECT_ROUTES[i].re.exec(location.pathname);
      if (match) { page = PROJECT_ROUTES[i]; break; }
    }
    document.getElementById("spa-title").textContent = page.title;
    document.title = page.title + " · Tasklane (Frontdesk demo)";
    view.replaceChildren();
    if (page.route === "/projects") {
      var list = el("ul");
      ["Mobile app", "Homepage redesign", "Q4 campaign"].forEach(function (name) { list.append(el("li", name)); });
      view.append(list);
    } else if (page.route === "/projects/:id/board") {
      var board = el("div");
      board.className = "board";
      ["To do", "In progress", "Review", "Done"].forEach(function (column) {
        var col = el("section");
        col.className = "column";
        col.append(el("h2", column), el("p", "3 tasks"));
        board.append(col);
      });
      view.append(board);
    } else {
      view.append(el("p", "Project members, visibility and archiving."));
      var archive = el("button", "Archive project");
      archive.type = "button";
      archive.id = "archive-project";
      archive.addEventListener("click", function () {
        archive.disabled = true;
        archive.textContent = "Project archived";
        window.Frontdesk("track", "project_archived");
      });
      view.append(archive);
    }
    tellWidget(page.route, page.title, match && match[1] ? { project_id: match[1] } : {});
  }

  function onSpaClick(event) {
    var link = event.target.closest && event.target.closest("a[data-spa]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    history.pushState({}, "", link.getAttribute("href"));
    renderProjects();
  }

  function showError(node, input, message) {
    node.textContent = message;
    node.hidden = false;
    if (input) input.setAttribute("aria-invalid", "true");
  }

  function wireBilling() {
    var form = document.getElementById("card-form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var card = document.getElementById("card-number");
      var error = document.getElementById("card-error");
      error.hidden = true;
      card.removeAttribute("aria-invalid");
      var digits = card.value.replace(/\D/g, "");
      if (digits.length < 12) {
        // re-create the message so that each failure is a new element, as real forms do
        setTimeout(function () { showError(error, card, "Your card was declined: check the card number."); }, 50);
      }
    });
  }

  // Tasklane's own support form: the widget suggests answers beside the message; sending
  // it (here it only shows the thanks) tells the widget the user did not find one.
  function wireSupport() {
    var form = document.getElementById("support-form");
    if (!form) return;
    window.Frontdesk("deflect", "#support-form textarea", { submitted: "#support-sent:not([hidden])" });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.hidden = true;
      document.getElementById("support-sent").hidden = false;
    });
  }

  function wireIntegrations() {
    var status = document.getElementById("integration-status");
    if (!status) return;
    document.querySelectorAll("button.connect").forEach(function (button) {
      button.addEventListener("click", function () {
        showError(status, null, "Could not connect " + button.dataset.name + ": the authorization expired. Try again.");
      });
    });
  }

  window.Frontdesk("identify", {
    id: "user-1042", email: "dana@example.com", name: "Dana Rivera", traits: { plan: "team", seats: 8 },
  });
  var help = document.getElementById("open-help");
  if (help) help.addEventListener("click", function () { window.Frontdesk("open"); });

  if (document.getElementById("spa-view")) {
    document.addEventListener("click", onSpaClick);
    window.addEventListener("popstate", renderProjects);
    renderProjects();
  } else {
    tellWidget(body.dataset.route, body.dataset.title, { plan: "team" });
  }
  wireBilling();
  wireIntegrations();
  wireSupport();
})();
