/* The public member map of Kindnet (/map/ and /map/embed/).
 *
 * Plain script, no build step: Leaflet comes from django-leaflet's static files and
 * everything the page needs to know (feed, tiles, initial view and filters, the
 * translated sentences) is in the JSON block #kn-map-config, so the page runs under
 * a Content-Security-Policy without inline script.
 *
 * The feed clusters on the server: each request sends the zoom and bounding box of
 * the view, so the browser only ever receives what is visible, grouped.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("kn-map-config");
  var mapElement = document.getElementById("kn-map");
  if (!configElement || !mapElement || typeof L === "undefined") {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var text = config.text;
  var lang = config.lang;
  var numbers = new Intl.NumberFormat(lang);
  var compactNumbers = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  var plurals = new Intl.PluralRules(lang);
  var allKinds = config.kinds.map(function (kind) { return kind.value; });
  var kindLabels = {};
  config.kinds.forEach(function (kind) { kindLabels[kind.value] = kind.label; });

  var form = document.getElementById("kn-filters");
  var summary = document.getElementById("kn-summary");
  var list = document.getElementById("kn-list");
  var embed = !!config.embed;
  var options = config.options || { accent: "", legend: true, list: true };
  // The embed shows a member's card in its own panel (a bottom sheet on small screens),
  // above the overlay and the controls; the page uses Leaflet's popups.
  var sheet = document.getElementById("kn-sheet");
  var hint = document.querySelector(".kn-hint");
  var LIST_LIMIT = 200;
  var DEBOUNCE_MS = 250;
  var HINT_MS = 1800;
  //: The embed's documented minimum height (CSS too): below it, controls would cover the map.
  var EMBED_MIN_HEIGHT = 320;

  // ---- small text helpers -------------------------------------------------

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function counted(forms, count) {
    var form = forms[plurals.select(count)] || forms.other;
    return fill(form, { count: numbers.format(count) });
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = content; }
    return node;
  }

  function safeKind(kind) {
    return /^[a-z]+$/.test(kind || "") ? kind : "unknown";
  }

  function safeUrl(url) {
    if (!url) { return null; }
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  // ---- the embed's options and its messages to the host page ---------------

  function applyAccent(hex) {
    var style = document.documentElement.style;
    var rgb = [1, 3, 5].map(function (i) { return parseInt(hex.substr(i, 2), 16) / 255; });
    var linear = rgb.map(function (c) { return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); });
    var luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
    style.setProperty("--kn-accent", hex);
    style.setProperty("--kn-cluster", hex);
    // Text on the accent stays readable whatever colour the host chose.
    style.setProperty("--kn-on-accent", luminance > 0.4 ? "#111827" : "#ffffff");
    style.setProperty("--kn-on-cluster", luminance > 0.4 ? "#111827" : "#ffffff");
  }
  if (options.accent && /^#[0-9a-f]{6}$/.test(options.accent)) { applyAccent(options.accent); }

  function parentOrigin() {
    // Only a site allowed to frame the embed hears from it, and only the one framing it.
    if (!embed || window.parent === window) { return null; }
    var origin = null;
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      origin = window.location.ancestorOrigins[0];
    } else if (document.referrer) {
      try { origin = new URL(document.referrer).origin; } catch (error) { origin = null; }
    }
    return (config.parentOrigins || []).indexOf(origin) >= 0 ? origin : null;
  }
  var hostOrigin = parentOrigin();

  function post(type, data) {
    if (!hostOrigin) { return; }
    var message = { type: type, version: 1 };
    Object.keys(data || {}).forEach(function (key) { message[key] = data[key]; });
    window.parent.postMessage(message, hostOrigin);
  }

  // Sandboxed without allow-same-origin, the page has an opaque origin: the feed (same
  // site, but now "another origin") and the address bar are out of reach.
  var sandboxed = window.origin === "null";

  var hintTimer = null;
  function showHint(message) {
    if (!hint) { return; }
    hint.textContent = message;
    hint.hidden = false;
    clearTimeout(hintTimer);
    hintTimer = setTimeout(function () { hint.hidden = true; }, HINT_MS);
  }

  // ---- the map ------------------------------------------------------------

  var map = L.map(mapElement, {
    zoomControl: false,
    minZoom: 2,
    maxZoom: 18,
    worldCopyJump: true
  });
  // In the embed the top right is the card's: zoom buttons go to the bottom right.
  L.control.zoom({ position: embed ? "bottomright" : "topright" }).addTo(map);
  L.control.scale({ position: "bottomleft", imperial: false }).addTo(map);
  // The legend is a control in the same corner, stacked above the scale, so the two
  // never overlap at any size.
  var legendElement = document.querySelector(".kn-legend");
  if (legendElement) {
    var Legend = L.Control.extend({
      onAdd: function () {
        L.DomEvent.disableClickPropagation(legendElement);
        L.DomEvent.disableScrollPropagation(legendElement);
        return legendElement;
      }
    });
    new Legend({ position: "bottomleft" }).addTo(map);
  }
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" rel="noopener noreferrer" target="_blank">Leaflet</a>'
  );

  if (config.tiles) {
    var tiles = L.tileLayer(config.tiles.url, {
      attribution: config.tiles.attribution,
      maxZoom: 19,
      referrerPolicy: "strict-origin-when-cross-origin"
    });
    // No tiles (offline, blocked, server down): the markers stay on the plain background.
    tiles.on("tileerror", function (event) { event.tile.classList.add("kn-tile-missing"); });
    tiles.addTo(map);
  }
  var view = config.view;
  var home = L.latLngBounds([view.bounds[1], view.bounds[0]], [view.bounds[3], view.bounds[2]]);
  var hasCentre = view.lat !== null && view.lon !== null;
  if (hasCentre && view.zoom !== null) {
    map.setView([view.lat, view.lon], view.zoom);
  } else if (hasCentre) {
    map.setView([view.lat, view.lon], map.getBoundsZoom(home));
  } else if (view.zoom !== null) {
    map.setView(home.getCenter(), view.zoom);
  } else {
    map.fitBounds(home, freePadding());
  }
  // A link with filters but no centre (say ?country=CH) opens on what it shows.
  var fitToFirstAnswer = !hasCentre && view.zoom === null &&
    (config.filters.kind.length > 0 || !!config.filters.sector || !!config.filters.country);

  function freeArea() {
    // What the overlay, the card and the legend leave of the map: each is cut off the
    // side it hugs (the cheaper cut), so a fitted view or a chosen marker stays clear.
    var box = mapElement.getBoundingClientRect();
    var cut = { left: 0, top: 0, right: 0, bottom: 0 };
    var margin = 12;
    [".kn-overlay", "#kn-sheet", ".kn-legend"].forEach(function (selector) {
      var node = document.querySelector(selector);
      if (!node || node.hidden || !node.offsetWidth || !node.offsetHeight) { return; }
      var r = node.getBoundingClientRect();
      var sides = [
        ["left", (r.right - box.left + margin) / box.width],
        ["right", (box.right - r.left + margin) / box.width],
        ["top", (r.bottom - box.top + margin) / box.height],
        ["bottom", (box.bottom - r.top + margin) / box.height]
      ].sort(function (a, b) { return a[1] - b[1]; });
      var side = sides[0][0];
      var size = side === "left" || side === "right" ? box.width : box.height;
      cut[side] = Math.max(cut[side], Math.round(sides[0][1] * size));
    });
    // Never less than a sliver of map to show things in.
    var minimum = 40;
    if (cut.left + cut.right > box.width - minimum) { cut.left = cut.right = 0; }
    if (cut.top + cut.bottom > box.height - minimum) {
      cut.top = Math.max(0, Math.min(cut.top, box.height - minimum - cut.bottom));
    }
    return cut;
  }

  function freePadding() {
    if (!embed) { return {}; }
    var cut = freeArea();
    return {
      paddingTopLeft: L.point(cut.left, cut.top),
      paddingBottomRight: L.point(cut.right, cut.bottom)
    };
  }

  function extentOf(features) {
    var extent = L.latLngBounds([]);
    features.forEach(function (feature) {
      var p = feature.properties;
      var b = feature.bbox;
      if (p.cluster && b && b.length === 4) {
        extent.extend([[b[1], b[0]], [b[3], b[2]]]);
      } else {
        extent.extend(latLngOf(feature));
      }
    });
    return extent;
  }

  var layer = L.layerGroup().addTo(map);
  var shown = new Map(); // key -> { marker, feature }

  function keyOf(feature) {
    var p = feature.properties;
    if (p.cluster) {
      return "c:" + feature.geometry.coordinates.join(",") + ":" + p.count;
    }
    return "m:" + p.id;
  }

  function latLngOf(feature) {
    var c = feature.geometry.coordinates;
    return L.latLng(c[1], c[0]);
  }

  function popupContent(p) {
    var card = element("div", "kn-card");
    card.tabIndex = -1;
    var kind = element("p", "kn-card__kind");
    kind.appendChild(element("span", "kn-swatch kn-kind-" + safeKind(p.kind)));
    kind.appendChild(document.createTextNode(p.kind_label || kindLabels[p.kind] || ""));
    card.appendChild(kind);
    card.appendChild(element("h3", "kn-card__name", p.name));
    var place = [p.city, p.country_name || p.country].filter(Boolean).join(", ");
    if (place) { card.appendChild(element("p", "kn-card__place", place)); }
    if (p.description) { card.appendChild(element("p", "kn-card__description", p.description)); }
    if (p.sectors && p.sectors.length) {
      var sectors = element("p", "kn-card__sectors");
      sectors.appendChild(element("span", "kn-card__label", text.sectors + ": "));
      sectors.appendChild(document.createTextNode(p.sectors.join(", ")));
      card.appendChild(sectors);
    }
    if (p.recognitions && p.recognitions.length) {
      var badges = element("ul", "kn-badges");
      badges.setAttribute("aria-label", text.recognitions);
      p.recognitions.forEach(function (title) { badges.appendChild(element("li", "kn-badge", title)); });
      card.appendChild(badges);
    }
    var website = safeUrl(p.website);
    if (website) {
      var link = element("a", "kn-card__website", text.website);
      link.href = website;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      card.appendChild(link);
    }
    return card;
  }

  function memberMarker(feature) {
    var p = feature.properties;
    var marker = L.marker(latLngOf(feature), {
      icon: L.divIcon({ className: "kn-marker kn-kind-" + safeKind(p.kind), iconSize: [18, 18], html: "" }),
      title: p.name + " (" + (p.kind_label || p.kind) + ")",
      keyboard: true,
      riseOnHover: true
    });
    if (sheet) {
      marker.on("click", function () { openCard(feature); });
    } else {
      marker.bindPopup(function () { return popupContent(p); }, { maxWidth: 300, minWidth: 200 });
    }
    marker.on("add", function () {
      var icon = marker.getElement();
      icon.setAttribute("aria-label", marker.options.title);
      icon.dataset.memberId = String(p.id);
      icon.dataset.kind = safeKind(p.kind);
    });
    marker.on("popupopen", function (event) {
      var card = event.popup.getElement().querySelector(".kn-card");
      if (!card) { return; }
      card.addEventListener("keydown", function (key) {
        if (key.key === "Escape") { map.closePopup(); }
      });
      card.focus({ preventScroll: true });
      // impact.js adds the member's programmes, when it allows them to be shown.
      document.dispatchEvent(new CustomEvent("kn:card-open", {
        detail: { id: p.id, card: card }
      }));
    });
    return marker;
  }

  function clusterMarker(feature) {
    var p = feature.properties;
    var size = p.count < 10 ? 34 : p.count < 100 ? 40 : p.count < 1000 ? 48 : 56;
    var label = p.count >= 10000 ? compactNumbers.format(p.count) : numbers.format(p.count);
    var marker = L.marker(latLngOf(feature), {
      icon: L.divIcon({
        className: "kn-cluster kn-cluster--" + size,
        iconSize: [size, size],
        html: "<span>" + label.replace(/[<>&"]/g, "") + "</span>"
      }),
      title: counted(text.clusterTitle, p.count),
      keyboard: true
    });
    marker.on("add", function () {
      var icon = marker.getElement();
      icon.setAttribute("aria-label", counted(text.cluster, p.count));
      icon.dataset.count = String(p.count);
    });
    marker.on("click", function () { zoomToCluster(feature); });
    return marker;
  }

  function zoomToCluster(feature) {
    var b = feature.bbox;
    var zoom = map.getZoom();
    var target = Math.min(zoom + 2, map.getMaxZoom());
    var centre = latLngOf(feature);
    if (b && b.length === 4) {
      var bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
      if (bounds.isValid() && !bounds.getSouthWest().equals(bounds.getNorthEast())) {
        target = map.getBoundsZoom(bounds, false, L.point(48, 48));
        centre = bounds.getCenter();
      }
    }
    // A click always goes at least one level deeper, even for a cluster as wide as the view.
    map.setView(centre, Math.min(Math.max(target, zoom + 1), map.getMaxZoom()));
  }

  // ---- the list of what is visible -----------------------------------------

  function renderList(features) {
    if (!list) { return; }
    var members = features.filter(function (f) { return !f.properties.cluster; });
    var clusters = features.filter(function (f) { return f.properties.cluster; });
    members.sort(function (a, b) { return a.properties.name.localeCompare(b.properties.name, lang); });
    clusters.sort(function (a, b) { return b.properties.count - a.properties.count; });
    var items = members.concat(clusters);
    var fragment = document.createDocumentFragment();
    items.slice(0, LIST_LIMIT).forEach(function (feature) {
      var p = feature.properties;
      var item = element("li", "kn-list__item");
      var button = element("button", "kn-list__button");
      button.type = "button";
      button.dataset.key = keyOf(feature);
      if (p.cluster) {
        button.appendChild(element("span", "kn-swatch kn-swatch--cluster"));
        button.appendChild(element("span", "kn-list__name", counted(text.cluster, p.count)));
      } else {
        button.appendChild(element("span", "kn-swatch kn-kind-" + safeKind(p.kind)));
        button.appendChild(element("span", "kn-list__name", p.name));
        var meta = [p.kind_label || p.kind, p.city].filter(Boolean).join(" · ");
        button.appendChild(element("span", "kn-list__meta", meta));
      }
      item.appendChild(button);
      fragment.appendChild(item);
    });
    if (items.length > LIST_LIMIT) {
      fragment.appendChild(element("li", "kn-list__more", fill(text.listMore, {
        count: numbers.format(items.length - LIST_LIMIT)
      })));
    }
    // Drawing the list again must not take the keyboard away from someone using it.
    var focused = document.activeElement;
    var focusedKey = focused && list.contains(focused) ? focused.dataset.key : null;
    list.replaceChildren(fragment);
    if (focusedKey) {
      var again = list.querySelector('button[data-key="' + focusedKey + '"]');
      if (again) { again.focus({ preventScroll: true }); }
    }
  }

  if (list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-key]");
      if (!button) { return; }
      var entry = shown.get(button.dataset.key);
      if (!entry) { return; }
      if (entry.feature.properties.cluster) {
        zoomToCluster(entry.feature);
        return;
      }
      openedFromList = button.dataset.key;
      if (sheet) {
        openCard(entry.feature);
      } else {
        entry.marker.openPopup();
      }
    });
  }

  var openedFromList = null;

  function giveFocusBack() {
    // Give the keyboard back to the list entry that opened the card; the list may have
    // been drawn again meanwhile (the card's pan loads the view), so look it up by key.
    if (!openedFromList || !list) { return false; }
    var button = list.querySelector('button[data-key="' + openedFromList + '"]');
    openedFromList = null;
    if (button) { button.focus({ preventScroll: true }); }
    return !!button;
  }

  map.on("popupclose", giveFocusBack);

  // ---- the embed's card panel -----------------------------------------------

  var cardFeature = null;

  function openCard(feature) {
    var p = feature.properties;
    var card = popupContent(p);
    card.querySelector(".kn-card__name").id = "kn-sheet-title";
    sheet.querySelector(".kn-sheet__body").replaceChildren(card);
    sheet.hidden = false;
    sheet.dataset.memberId = String(p.id);
    markSelected(false);
    cardFeature = feature;
    markSelected(true);
    card.focus({ preventScroll: true });
    // The marker moves into what the card and the overlay leave free.
    var cut = freeArea();
    map.panInside(latLngOf(feature), {
      paddingTopLeft: L.point(cut.left + 24, cut.top + 24),
      paddingBottomRight: L.point(cut.right + 24, cut.bottom + 24)
    });
    post("kindnet:select", { id: p.id, name: p.name, kind: p.kind });
  }

  function markSelected(selected) {
    var entry = cardFeature && shown.get(keyOf(cardFeature));
    var icon = entry && entry.marker.getElement();
    if (icon) { icon.classList.toggle("kn-marker--selected", selected); }
  }

  function closeCard() {
    if (sheet.hidden) { return; }
    markSelected(false);
    var feature = cardFeature;
    sheet.hidden = true;
    sheet.querySelector(".kn-sheet__body").replaceChildren();
    cardFeature = null;
    if (giveFocusBack()) { return; }
    var entry = feature && shown.get(keyOf(feature));
    var icon = entry && entry.marker.getElement();
    if (icon) { icon.focus({ preventScroll: true }); } else { mapElement.focus({ preventScroll: true }); }
  }

  if (sheet) {
    sheet.querySelector(".kn-sheet__close").addEventListener("click", closeCard);
    sheet.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { closeCard(); }
    });
  }

  // ---- filters, URL and loading -----------------------------------------

  function chosenKinds() {
    if (!form) { return config.filters.kind.length ? config.filters.kind : allKinds; }
    return Array.prototype.filter.call(form.elements.kind, function (box) { return box.checked; })
      .map(function (box) { return box.value; });
  }

  function filterValue(name) {
    if (!form) { return config.filters[name] || ""; }
    return form.elements[name].value;
  }

  function filterParams() {
    var params = new URLSearchParams();
    var kinds = chosenKinds();
    if (kinds.length && kinds.length < allKinds.length) { params.set("kind", kinds.join(",")); }
    if (filterValue("sector")) { params.set("sector", filterValue("sector")); }
    if (filterValue("country")) { params.set("country", filterValue("country")); }
    return params;
  }

  function round(value, digits) {
    var factor = Math.pow(10, digits);
    return Math.round(value * factor) / factor;
  }

  function clamp(value, low, high) { return Math.max(low, Math.min(high, value)); }

  function syncUrl() {
    if (sandboxed) { return; }
    var params = filterParams();
    var centre = map.getCenter().wrap();
    params.set("lat", String(round(centre.lat, 4)));
    params.set("lon", String(round(centre.lng, 4)));
    params.set("zoom", String(map.getZoom()));
    var withLang = new URLSearchParams(params);
    if (config.langInUrl) { params.set("lang", lang); }
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
    document.querySelectorAll("a[data-lang]").forEach(function (link) {
      withLang.set("lang", link.dataset.lang);
      link.href = window.location.pathname + "?" + withLang.toString();
    });
  }

  var pending = null;
  var timer = null;

  function setBusy(busy) {
    mapElement.classList.toggle("kn-map--loading", busy);
    mapElement.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function load() {
    clearTimeout(timer);
    if (pending) { pending.abort(); }
    if (sandboxed) {
      // Say what is wrong and how to fix it, not "try again in a moment".
      summary.textContent = text.sandboxed;
      mapElement.classList.add("kn-map--failed");
      mapElement.dataset.state = "sandboxed";
      return;
    }
    syncUrl();
    if (!chosenKinds().length) {
      show([], null);
      summary.textContent = text.noKind;
      return;
    }
    var bounds = map.getBounds();
    var params = filterParams();
    params.set("bbox", [
      clamp(bounds.getWest(), -180, 180), clamp(bounds.getSouth(), -90, 90),
      clamp(bounds.getEast(), -180, 180), clamp(bounds.getNorth(), -90, 90)
    ].map(function (value) { return round(value, 5); }).join(","));
    params.set("zoom", String(Math.round(map.getZoom())));
    params.set("lang", lang);
    var controller = new AbortController();
    pending = controller;
    setBusy(true);
    fetch(config.feedUrl + "?" + params.toString(), {
      signal: controller.signal,
      headers: { Accept: "application/geo+json, application/json" },
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) { throw new Error("feed answered " + response.status); }
      return response.json();
    }).then(function (data) {
      if (pending !== controller) { return; }
      pending = null;
      setBusy(false);
      show(data.features || [], data);
      if (fitToFirstAnswer) {
        fitToFirstAnswer = false;
        var extent = extentOf(data.features || []);
        if (extent.isValid()) {
          var padding = freePadding();
          padding.maxZoom = 12;
          padding.padding = [40, 40];
          map.fitBounds(extent, padding);
        }
      }
      announce(data);
    }).catch(function (error) {
      if (error.name === "AbortError") { return; }
      pending = null;
      setBusy(false);
      summary.textContent = text.error;
      mapElement.classList.add("kn-map--failed");
    });
  }

  function scheduleLoad() {
    clearTimeout(timer);
    timer = setTimeout(load, DEBOUNCE_MS);
  }

  function show(features, data) {
    mapElement.classList.remove("kn-map--failed");
    var next = new Map();
    features.forEach(function (feature) {
      var key = keyOf(feature);
      var entry = shown.get(key);
      if (!entry) {
        var marker = feature.properties.cluster ? clusterMarker(feature) : memberMarker(feature);
        entry = { marker: marker, feature: feature };
        layer.addLayer(marker);
      }
      next.set(key, entry);
    });
    shown.forEach(function (entry, key) {
      if (!next.has(key)) { layer.removeLayer(entry.marker); }
    });
    shown = next;
    renderList(features);
    if (data) {
      var total = typeof data.total === "number" ? data.total : features.length;
      var countries = typeof data.countries === "number" ? data.countries : 0;
      summary.textContent = total ? fill(text.summary, {
        members: counted(text.members, total),
        countries: counted(text.countries, countries)
      }) : text.empty;
    }
    mapElement.dataset.state = "ready";
  }

  if (form) {
    form.addEventListener("change", load);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      load();
    });
    form.addEventListener("reset", function () {
      // After the browser has reset the fields: every kind, every sector, every country.
      setTimeout(function () {
        Array.prototype.forEach.call(form.elements.kind, function (box) { box.checked = true; });
        form.elements.sector.value = "";
        form.elements.country.value = "";
        load();
      }, 0);
    });
  }
  map.on("moveend", scheduleLoad);

  // ---- the embed: messages, height and gestures that leave the page scrollable ----

  var ready = false;

  function announce(data) {
    if (!ready) {
      ready = true;
      post("kindnet:ready", { total: data.total, countries: data.countries });
      reportHeight();
    }
    var centre = map.getCenter().wrap();
    post("kindnet:view", {
      center: { lat: round(centre.lat, 5), lon: round(centre.lng, 5) },
      zoom: map.getZoom(),
      filters: {
        kind: chosenKinds(),
        sector: filterValue("sector"),
        country: filterValue("country")
      },
      total: data.total
    });
  }

  var reportedHeight = 0;

  function contentHeight() {
    // The height that shows the overlay (with its open drawers) and the legend without
    // their own scroll bars, and never less than the documented minimum.
    var overlay = document.querySelector(".kn-overlay");
    var needed = EMBED_MIN_HEIGHT;
    if (overlay) {
      var legendHeight = legendElement ? legendElement.offsetHeight : 0;
      needed = Math.max(needed, overlay.offsetTop + overlay.scrollHeight + legendHeight + 60);
    }
    return Math.ceil(needed);
  }

  function reportHeight() {
    var height = contentHeight();
    if (!ready || height === reportedHeight) { return; }
    reportedHeight = height;
    post("kindnet:resize", { height: height });
  }

  function mapFocused() {
    var active = document.activeElement;
    return active === mapElement || mapElement.contains(active);
  }

  if (embed) {
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(reportHeight);
      document.querySelectorAll(".kn-overlay, .kn-drawer, .kn-list__items, .kn-legend").forEach(
        function (node) { observer.observe(node); }
      );
    }
    document.querySelectorAll(".kn-drawer").forEach(function (drawer) {
      drawer.addEventListener("toggle", reportHeight);
    });
    // The wheel scrolls the host page unless the map has the focus (a click or Tab
    // gives it) or a modifier is held; Leaflet never sees the other wheel events.
    var mac = /Mac|iPhone|iPad/.test(navigator.platform || "");
    window.addEventListener("wheel", function (event) {
      if (!mapElement.contains(event.target)) { return; }
      if (event.ctrlKey || event.metaKey || mapFocused()) { return; }
      event.stopPropagation();
      showHint(mac ? text.wheelHintMac : text.wheelHint);
    }, { capture: true, passive: true });
    // One finger scrolls the page (CSS touch-action), two move and zoom the map.
    mapElement.addEventListener("touchmove", function (event) {
      if (event.touches.length === 1) { showHint(text.touchHint); }
    }, { passive: true });
  }

  document.body.classList.add("kn--ready");
  load();
})();
