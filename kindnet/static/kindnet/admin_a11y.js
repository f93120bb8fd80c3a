/* Names that Django's own admin widgets leave out, so that screen readers (and axe-core)
   can tell what each control is. Runs after the widgets are built: select2 on the
   document's ready, the two-box sector chooser on the window's load. */
(function () {
  "use strict";

  function labelOf(id) {
    return id ? document.querySelector('label[for="' + id + '"]') : null;
  }

  /* Autocomplete fields (select2): the combobox and its text box get the field's label. */
  function nameAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = labelOf(select.id);
      var container = select.nextElementSibling;
      if (!label || !container) return;
      if (!label.id) label.id = select.id + "-label";
      var combobox = container.querySelector(".select2-selection[role=combobox]");
      var rendered = container.querySelector(".select2-selection__rendered");
      if (combobox) {
        var ids = [label.id];
        if (rendered && rendered.id) ids.push(rendered.id);
        combobox.setAttribute("aria-labelledby", ids.join(" "));
      }
      if (rendered) rendered.setAttribute("aria-label", label.textContent.replace(/:$/, "").trim());
    });
  }

  /* The two-box chooser's magnifier icons: an aria-label is only allowed with a role. */
  function nameFilterIcons() {
    document.querySelectorAll(".search-label-icon[aria-label]").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  window.addEventListener("load", function () {
    // After every other load handler (SelectFilter2 builds its boxes in one).
    setTimeout(function () { nameAutocompletes(); nameFilterIcons(); }, 0);
  });
})();
