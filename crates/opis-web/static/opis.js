// opis reading room: small progressive enhancements; every page works without this file.
// - "/" focuses the search box; j / k move between hits (search results, a person's turns).
// - The reading view's notes: beside their markers on wide screens (side notes), as a popover
//   on narrow ones. Both are built from the notes list, which stays the page's real notes
//   (each note there links back to its marker) and is what a page without JavaScript shows.
// - The citation's copy button.
(function () {
  "use strict";
  var current = -1;
  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { closePopover(true); return; }
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

  // ---- Notes -------------------------------------------------------------------------------
  var article = document.querySelector("article.doc");
  var wide = window.matchMedia("(min-width: 76rem)");
  var markers = article ? article.querySelectorAll("sup.marker a[data-note]") : [];
  var sidenotes = null;
  var popover = null;
  var popoverMarker = null;

  // The content of note n from the notes list, without its back link.
  function noteContent(n) {
    var item = document.getElementById("note-" + n);
    if (!item) return null;
    var frag = document.createDocumentFragment();
    Array.prototype.forEach.call(item.childNodes, function (node) {
      if (node.nodeType === 1 && node.classList.contains("back")) return;
      var copy = node.cloneNode(true);
      if (copy.nodeType === 1) {
        copy.removeAttribute("id");
        Array.prototype.forEach.call(copy.querySelectorAll("[id]"), function (el) { el.removeAttribute("id"); });
      }
      frag.appendChild(copy);
    });
    return frag;
  }

  function backLink(n, label) {
    var back = document.createElement("a");
    back.href = "#marker-" + n;
    back.className = "back-to-text";
    back.textContent = label;
    back.setAttribute("aria-label", "Back to the text at marker " + n);
    back.addEventListener("click", function (e) {
      var marker = document.getElementById("marker-" + n);
      if (!marker) return;
      e.preventDefault();
      closePopover(false);
      history.replaceState(null, "", "#marker-" + n);
      marker.focus();
      marker.scrollIntoView({ block: "center" });
    });
    return back;
  }

  function buildSidenotes() {
    sidenotes = document.createElement("div");
    sidenotes.className = "sidenotes";
    var seen = {};
    Array.prototype.forEach.call(markers, function (marker) {
      var n = marker.getAttribute("data-note");
      if (seen[n]) return;
      seen[n] = true;
      var content = noteContent(n);
      if (!content) return;
      var note = document.createElement("div");
      note.className = "sidenote";
      note.setAttribute("role", "note");
      note.id = "sidenote-" + n;
      note.tabIndex = -1;
      note.setAttribute("aria-label", "Note " + n);
      note.setAttribute("data-for", n);
      var num = document.createElement("a");
      num.className = "num";
      num.href = "#note-" + n;
      num.textContent = n;
      num.title = "The note in the list of notes";
      var body = document.createElement("div");
      body.className = "sidenote-text";
      body.appendChild(content);
      note.appendChild(num);
      note.appendChild(document.createTextNode(" "));
      note.appendChild(body);
      note.appendChild(backLink(n, "↩ back to the text"));
      sidenotes.appendChild(note);
    });
    article.appendChild(sidenotes);
    // A side note shows whole while it holds the focus; the ones below make room.
    sidenotes.addEventListener("focusin", function () { layoutSidenotes(); });
    sidenotes.addEventListener("focusout", function () { window.setTimeout(layoutSidenotes, 0); });
  }

  // Sets each side note at the height of its marker, pushed down past the one before.
  function layoutSidenotes() {
    if (!article || !markers.length) return;
    if (!wide.matches) {
      if (sidenotes) sidenotes.hidden = true;
      article.classList.remove("with-sidenotes");
      return;
    }
    closePopover(false);
    if (!sidenotes) buildSidenotes();
    sidenotes.hidden = false;
    article.classList.add("with-sidenotes");
    var origin = article.getBoundingClientRect().top;
    var bottom = 0;
    Array.prototype.forEach.call(sidenotes.children, function (note) {
      var marker = document.getElementById("marker-" + note.getAttribute("data-for"));
      if (!marker) return;
      var top = Math.max(marker.getBoundingClientRect().top - origin - 4, bottom);
      note.style.top = top + "px";
      bottom = top + note.offsetHeight + 12;
    });
  }

  function closePopover(refocus) {
    if (!popover || popover.hidden) return;
    popover.hidden = true;
    if (refocus && popoverMarker) popoverMarker.focus();
    popoverMarker = null;
  }

  function openPopover(marker, n) {
    if (!popover) {
      popover = document.createElement("div");
      popover.className = "note-popover";
      popover.setAttribute("role", "dialog");
      popover.tabIndex = -1;
      document.body.appendChild(popover);
      document.addEventListener("click", function (e) {
        if (popover && !popover.hidden && !popover.contains(e.target) && !e.target.closest("sup.marker")) {
          closePopover(false);
        }
      });
    }
    var content = noteContent(n);
    if (!content) return false;
    popover.textContent = "";
    popover.setAttribute("aria-label", "Note " + n);
    popover.id = "popover-" + n;
    var head = document.createElement("p");
    head.className = "popover-head";
    var title = document.createElement("strong");
    title.textContent = "Note " + n;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.textContent = "Close";
    close.addEventListener("click", function () { closePopover(true); });
    head.appendChild(title);
    head.appendChild(close);
    var body = document.createElement("div");
    body.className = "popover-text";
    body.appendChild(content);
    var foot = document.createElement("p");
    foot.className = "popover-foot";
    foot.appendChild(backLink(n, "↩ Back to the text"));
    var all = document.createElement("a");
    all.href = "#note-" + n;
    all.textContent = "In the list of notes";
    all.addEventListener("click", function () { closePopover(false); });
    foot.appendChild(document.createTextNode(" · "));
    foot.appendChild(all);
    popover.appendChild(head);
    popover.appendChild(body);
    popover.appendChild(foot);
    popover.hidden = false;
    popoverMarker = marker;
    popover.focus({ preventScroll: true });
    // Keep the marker in sight above the popover.
    var gap = marker.getBoundingClientRect().bottom - popover.getBoundingClientRect().top + 24;
    if (gap > 0) window.scrollBy(0, gap);
    else if (marker.getBoundingClientRect().top < 0) marker.scrollIntoView({ block: "center" });
    return true;
  }

  Array.prototype.forEach.call(markers, function (marker) {
    marker.addEventListener("click", function (e) {
      var n = marker.getAttribute("data-note");
      if (wide.matches && sidenotes && !sidenotes.hidden) {
        var note = document.getElementById("sidenote-" + n);
        if (!note) return;
        e.preventDefault();
        Array.prototype.forEach.call(sidenotes.querySelectorAll(".active"), function (el) { el.classList.remove("active"); });
        note.classList.add("active");
        layoutSidenotes();
        note.focus({ preventScroll: true });
        note.scrollIntoView({ block: "nearest" });
      } else if (!wide.matches) {
        if (openPopover(marker, n)) e.preventDefault();
      }
    });
  });

  if (markers.length) {
    layoutSidenotes();
    var pending = false;
    var relayout = function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; layoutSidenotes(); });
    };
    window.addEventListener("resize", relayout);
    window.addEventListener("load", relayout);
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(relayout);
  }

  // ---- Copy buttons ------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Copy failed: select the text"; }
      );
      window.setTimeout(function () { button.textContent = label; }, 2500);
    });
  });
  // ---- Upload (editors): the chosen file as the request body, the JSON answer shown ---------
  var upload = document.getElementById("upload-form");
  if (upload && window.fetch) {
    upload.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = document.getElementById("upload-file").files[0];
      var out = document.getElementById("upload-result");
      if (!file) return;
      var url = "/upload?filename=" + encodeURIComponent(file.name);
      var collection = document.getElementById("upload-collection").value.trim();
      if (collection) url += "&collection=" + encodeURIComponent(collection);
      out.textContent = "Uploading " + file.name + "…";
      fetch(url, { method: "POST", body: file, credentials: "same-origin",
                   headers: { "X-CSRF-Token": upload.getAttribute("data-csrf") } })
        .then(function (res) { return res.text().then(function (t) { return [res.status, t]; }); })
        .then(function (r) {
          var text = r[1];
          try { text = JSON.stringify(JSON.parse(r[1]), null, 2); } catch (e) { /* as sent */ }
          out.textContent = (r[0] === 200 ? "Stored:\n" : "Refused (" + r[0] + "):\n") + text;
        }, function (e) { out.textContent = "Upload failed: " + e; });
    });
  }
})();
