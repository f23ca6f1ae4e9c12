// opis reading room: small progressive enhancements; every page works without this file.
// "/" focuses the search box; j / k move between hits (search results, a person's turns).
(function () {
  "use strict";
  var current = -1;
  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e)) return;
    if (e.key === "/") {
      var box = document.querySelector("input[data-search]");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (e.key !== "j" && e.key !== "k") return;
    var hits = document.querySelectorAll("[data-hit]");
    if (!hits.length) return;
    if (current >= 0 && hits[current]) hits[current].classList.remove("current");
    current = e.key === "j" ? Math.min(current + 1, hits.length - 1) : Math.max(current - 1, 0);
    var hit = hits[current];
    hit.classList.add("current");
    hit.scrollIntoView({ block: "nearest" });
    var link = hit.querySelector("a");
    if (link) link.focus({ preventScroll: true });
  });
})();
