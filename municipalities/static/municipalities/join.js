// The join form: the municipality field as a WAI-ARIA combobox over the official list,
// and the path of the form's sections following the focus.
// Without this script the field is a plain text box: typing the full label, as
// "Castro (BG)", is enough (the service finds it in the official list).
// A static file, so the page's Content-Security-Policy needs no inline script.
(function () {
  var form = document.getElementById("join-form");
  var input = document.getElementById("id_municipality_name");
  var code = document.getElementById("id_municipality_code");
  var country = document.getElementById("id_country");
  var list = document.getElementById("municipality-results");
  var status = document.getElementById("municipality-status");
  if (!form || !input || !list) return;
  var text = form.dataset;
  var searchUrl = text.searchUrl;
  var timer = null, lastQuery = "", results = [], active = -1;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  function announce(message) {
    // Emptied first, so that the same sentence twice is read twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }
  function setActive(index) {
    var options = list.children;
    if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
    active = index;
    if (active >= 0 && options[active]) {
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }
  function open() {
    if (!results.length) return;
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }
  function choose(index) {
    var item = results[index];
    if (!item) return;
    input.value = item.label;
    code.value = item.code;
    lastQuery = item.label;
    close();
    announce(text.chosen.replace("{name}", item.label));
  }
  function show(found) {
    results = found;
    list.innerHTML = "";
    active = -1;
    found.forEach(function (item, index) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.id = "municipality-option-" + index;
      li.dataset.code = item.code;
      li.textContent = item.label + " ";
      var small = document.createElement("small");
      small.textContent = item.region;
      li.appendChild(small);
      // mousedown, not click: the input keeps the focus.
      li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(index); });
      list.appendChild(li);
    });
    if (found.length) { open(); } else { close(); }
    var count = found.length;
    announce(count === 0 ? text.resultsNone
      : (count === 1 ? text.resultsOne : text.resultsOther.replace("{count}", count)));
  }
  function search() {
    var q = input.value.trim();
    if (q.length < 2) { results = []; list.innerHTML = ""; close(); return; }
    if (q === lastQuery) return;
    lastQuery = q;
    var url = searchUrl + "&country=" + encodeURIComponent(country.value) + "&q=" + encodeURIComponent(q);
    fetch(url, {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {results: []}; })
      .then(function (data) { if (q === input.value.trim()) show(data.results || []); })
      .catch(function () { results = []; list.innerHTML = ""; close(); });
  }
  input.addEventListener("input", function () {
    code.value = "";  // typed again: the earlier choice no longer holds
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (event) {
    var expanded = !list.hidden;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!expanded) { open(); if (results.length) setActive(0); return; }
        setActive(active + 1 < results.length ? active + 1 : 0);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (!expanded) { open(); if (results.length) setActive(results.length - 1); return; }
        setActive(active > 0 ? active - 1 : results.length - 1);
        break;
      case "Enter":
        // Enter chooses the highlighted municipality instead of sending the form.
        if (expanded && active >= 0) { event.preventDefault(); choose(active); }
        break;
      case "Escape":
        if (expanded) { event.preventDefault(); close(); }
        break;
      case "Tab":
        close();
        break;
    }
  });
  input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  country.addEventListener("change", function () {
    code.value = ""; lastQuery = ""; results = []; list.innerHTML = ""; close();
  });

  // The path of sections: the one holding the focus is the current step.
  var links = document.querySelectorAll("#join-path a");
  form.addEventListener("focusin", function (event) {
    var section = event.target.closest("fieldset");
    if (!section) return;
    links.forEach(function (link) {
      if (link.getAttribute("href") === "#" + section.id) link.setAttribute("aria-current", "step");
      else link.removeAttribute("aria-current");
    });
  });
})();
