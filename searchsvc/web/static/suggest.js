// Suggestions under the search box as you type (an ARIA combobox). Without this script the
// box is a plain search field and the page works the same.
(function () {
  "use strict";
  var input = document.getElementById("q");
  if (!input || !input.dataset.suggest || !window.fetch) return;
  var form = input.form;
  var list = document.createElement("ul");
  list.id = "q-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  var active = -1, timer = null, controller = null;

  function options() { return list.querySelectorAll("[role=option]"); }

  function close() {
    list.hidden = true;
    list.textContent = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    var items = options();
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach(function (item, i) { item.setAttribute("aria-selected", String(i === active)); });
    input.setAttribute("aria-activedescendant", items[active].id);
  }

  // Each suggestion is a whole query (what was typed, completed, or a headline).
  function choose(item) {
    input.value = item.textContent;
    close();
    form.submit();
  }

  function show(words) {
    close();
    if (!words.length || document.activeElement !== input) return;
    words.forEach(function (word, i) {
      var item = document.createElement("li");
      item.id = "q-suggestion-" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.textContent = word;
      list.appendChild(item);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function fetchSuggestions() {
    var typed = input.value;
    if (typed.trim().length < 2) { close(); return; }
    if (controller) controller.abort();
    controller = new AbortController();
    var url = input.dataset.suggest + "?q=" + encodeURIComponent(typed);
    fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (body) { if (input.value === typed) show(body.suggestions || []); })
      .catch(function () { /* aborted by newer typing, or offline: no suggestions */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
  input.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
    else if (event.key === "Escape") { event.preventDefault(); close(); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(options()[active]); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
  // mousedown, not click: it fires before the input's blur closes the list.
  list.addEventListener("mousedown", function (event) {
    var item = event.target.closest("[role=option]");
    if (item) { event.preventDefault(); choose(item); }
  });
})();
