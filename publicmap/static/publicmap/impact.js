/* What the network achieves, on the public map page: a line of totals under the intro
 * ("5,214 students reached in 2026") and the programmes on a member's card, both from
 * the public impact endpoint (/api/v1/impact/, the same numbers the website shows).
 *
 * Plain script, no build step; it reads the page's JSON config (#kn-map-config) and
 * waits for map.js's "kn:card-open" event. If the endpoint cannot be reached, nothing
 * is shown: the map works without it.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("kn-map-config");
  if (!configElement || typeof fetch === "undefined") { return; }
  var config = JSON.parse(configElement.textContent);
  if (!config.impactUrl) { return; }
  var text = config.text;
  var lang = config.lang;
  var numbers = new Intl.NumberFormat(lang);
  var plurals = new Intl.PluralRules(lang);

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error("impact answered " + response.status); }
        return response.json();
      });
  }

  function sentence(kind, count, year) {
    var forms = text.reached[kind];
    var form = forms[plurals.select(count)] || forms.other;
    return form.replace("{count}", numbers.format(count)).replace("{year}", String(year));
  }

  /* The year to show: this year if anyone was reached in it, else the latest that has. */
  function lineOf(figures) {
    var thisYear = new Date().getFullYear();
    var years = (figures.reached && figures.reached.by_year) || [];
    var best = null;
    years.forEach(function (entry) {
      if (entry.year > thisYear) { return; }
      var top = null;
      entry.by_participant_kind.forEach(function (part) {
        if (part.count && text.reached[part.kind] && (!top || part.count > top.count)) { top = part; }
      });
      if (top && (!best || entry.year > best.year)) { best = { year: entry.year, part: top }; }
    });
    return best ? sentence(best.part.kind, best.part.count, best.year) : "";
  }

  var line = document.getElementById("kn-impact-line");
  if (line) {
    getJson(config.impactUrl + "?lang=" + encodeURIComponent(lang)).then(function (figures) {
      var words = lineOf(figures);
      if (words) {
        line.textContent = words;
        line.hidden = false;
      }
    }).catch(function () { /* the map works without the line */ });
  }

  var programmesOf = new Map(); // member id -> Promise of its programmes

  function programmes(id) {
    if (!programmesOf.has(id)) {
      var url = config.impactUrl + "members/" + encodeURIComponent(id) + "/?lang=" + encodeURIComponent(lang);
      programmesOf.set(id, getJson(url).then(function (body) { return body.programmes || []; })
        .catch(function () { return []; }));
    }
    return programmesOf.get(id);
  }

  document.addEventListener("kn:card-open", function (event) {
    var detail = event.detail || {};
    if (!detail.card || !Number.isInteger(detail.id)) { return; }
    programmes(detail.id).then(function (list) {
      if (!list.length || !detail.card.isConnected || detail.card.querySelector(".kn-card__programmes")) { return; }
      var paragraph = document.createElement("p");
      paragraph.className = "kn-card__programmes";
      var label = document.createElement("span");
      label.className = "kn-card__label";
      label.textContent = text.programmes + ": ";
      paragraph.appendChild(label);
      paragraph.appendChild(document.createTextNode(list.map(function (item) {
        return item.name + " (" + item.year + ")";
      }).join(", ")));
      var website = detail.card.querySelector(".kn-card__website");
      // Not popup.update(): it would build the card again from map.js's content function.
      // The popup is anchored at its bottom, so the card simply grows upwards.
      detail.card.insertBefore(paragraph, website);
    });
  });
})();
