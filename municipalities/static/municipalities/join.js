// The join form: search-as-you-type over the official list of municipalities.
// A static file, so the page's Content-Security-Policy needs no inline script.
(function () {
  var input = document.getElementById("id_municipality_name");
  var code = document.getElementById("id_municipality_code");
  var country = document.getElementById("id_country");
  var list = document.getElementById("municipality-results");
  var searchUrl = document.getElementById("join-form").dataset.searchUrl;
  var timer = null, lastQuery = "";
  function clearList() { list.innerHTML = ""; }
  function choose(item) {
    input.value = item.label;
    code.value = item.code;
    clearList();
  }
  function show(results) {
    clearList();
    results.forEach(function (item) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.code = item.code;
      li.textContent = item.label + " ";
      var small = document.createElement("small");
      small.textContent = item.region;
      li.appendChild(small);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(item); });
      list.appendChild(li);
    });
  }
  function search() {
    var q = input.value.trim();
    if (q.length < 2 || q === lastQuery) { if (q.length < 2) clearList(); return; }
    lastQuery = q;
    var url = searchUrl + "&country=" + encodeURIComponent(country.value) + "&q=" + encodeURIComponent(q);
    fetch(url, {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {results: []}; })
      .then(function (data) { if (q === input.value.trim()) show(data.results || []); })
      .catch(clearList);
  }
  input.addEventListener("input", function () {
    code.value = "";  // typed again: the earlier choice no longer holds
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("blur", function () { setTimeout(clearList, 150); });
  country.addEventListener("change", function () { code.value = ""; lastQuery = ""; clearList(); });
})();
