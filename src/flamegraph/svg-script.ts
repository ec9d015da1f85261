// The script embedded in every SVG flame graph (plain ES5, no dependencies). It reads the
// frames' exact sample offsets and counts (hf:x, hf:w) once, then zooms, searches and fills in
// the details line. The ids it relies on are listed at the top of svg.ts. `C` is defined
// right before it by svg.ts: { total, width, pad, fontSize, fontWidth, inset, inverted, highlight }.
export const SVG_SCRIPT = `
(function () {
  "use strict";
  var NS = "urn:huatuo:flamegraph";
  var framesEl = document.getElementById("frames");
  var details = document.getElementById("details");
  var unzoomBtn = document.getElementById("unzoom");
  var searchBtn = document.getElementById("search");
  var matchedEl = document.getElementById("matched");
  var full = C.width - 2 * C.pad;
  var base = full / C.total;
  var charW = C.fontSize * C.fontWidth;
  var els = [], X = [], W = [], Y = [], names = [], infos = [], fills = [], rects = [], texts = [], kinds = [];
  var zoomed = false, searching = false;

  function count(el, name) {
    var v = el.getAttributeNS(NS, name);
    if (v === null || v === "") v = el.getAttribute("hf:" + name); // inlined into HTML
    return Number(v);
  }
  for (var el = framesEl.firstChild; el; el = el.nextSibling) {
    if (el.nodeType !== 1) continue;
    var title = el.getElementsByTagName("title")[0];
    var rect = el.getElementsByTagName("rect")[0];
    var info = title ? title.textContent : "";
    var cut = info.lastIndexOf(" (");
    el.hfIndex = els.length;
    els.push(el);
    X.push(count(el, "x"));
    W.push(count(el, "w"));
    Y.push(Number(rect.getAttribute("y")));
    infos.push(info);
    names.push(cut >= 0 ? info.slice(0, cut) : info);
    rects.push(rect);
    fills.push(rect.getAttribute("fill"));
    texts.push(el.getElementsByTagName("text")[0] || null);
    kinds.push(el.getAttribute("class") || "");
  }

  function setClass(el, c) {
    if (c) el.setAttribute("class", c);
    else el.removeAttribute("class");
  }
  function setState(i, state) {
    setClass(els[i], kinds[i] && state ? kinds[i] + " " + state : kinds[i] || state);
  }
  function round(n) {
    return Math.round(n * 1000) / 1000;
  }
  // Same rule as fitLabel() in xml.ts: whole name, or a prefix and "..", or nothing.
  function fit(name, w) {
    var max = Math.floor((w - C.inset) / charW);
    if (max < 3) return "";
    if (name.length <= max) return name;
    var points = [], k = 0;
    while (k < name.length) {
      var c = name.charCodeAt(k);
      var d = k + 1 < name.length ? name.charCodeAt(k + 1) : 0;
      var step = c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
      points.push(name.substr(k, step));
      k += step;
    }
    if (points.length <= max) return name;
    return points.slice(0, max - 2).join("") + "..";
  }
  function place(i, x, w) {
    rects[i].setAttribute("x", round(x));
    rects[i].setAttribute("width", round(w));
    var t = texts[i];
    if (t) {
      t.setAttribute("x", round(x + C.inset));
      var label = fit(names[i], w);
      if (t.textContent !== label) t.textContent = label;
    }
  }

  // The clicked frame spans the width; its ancestors stay (faded, full width); frames above
  // it scale with it; everything else hides. Counts are integers, so containment is exact.
  function zoom(z) {
    var zx = X[z], zw = W[z], zy = Y[z];
    var scale = full / zw;
    for (var i = 0; i < els.length; i++) {
      var x = X[i], w = W[i];
      var rootward = C.inverted ? Y[i] < zy : Y[i] > zy;
      if (rootward) {
        if (x <= zx && x + w >= zx + zw) {
          place(i, C.pad, full);
          setState(i, "parent");
        } else {
          setState(i, "hide");
        }
      } else if (x >= zx && x + w <= zx + zw) {
        place(i, C.pad + (x - zx) * scale, w * scale);
        setState(i, "");
      } else {
        setState(i, "hide");
      }
    }
    zoomed = true;
    setClass(unzoomBtn, "");
  }
  function unzoom() {
    for (var i = 0; i < els.length; i++) {
      place(i, C.pad + X[i] * base, W[i] * base);
      setState(i, "");
    }
    zoomed = false;
    setClass(unzoomBtn, "hide");
  }

  // Matched %: only outermost matches count, so a match inside a match is not counted twice.
  function search(term) {
    var re;
    try {
      re = new RegExp(term);
    } catch (e) {
      details.textContent = "Not a regular expression: " + term;
      return;
    }
    var hits = [];
    for (var i = 0; i < els.length; i++) {
      if (re.test(names[i])) {
        rects[i].setAttribute("fill", C.highlight);
        hits.push(i);
      } else {
        rects[i].setAttribute("fill", fills[i]);
      }
    }
    hits.sort(function (a, b) { return X[a] - X[b] || W[b] - W[a]; });
    var sum = 0, end = -1;
    for (var h = 0; h < hits.length; h++) {
      var j = hits[h];
      if (X[j] >= end) {
        sum += W[j];
        end = X[j] + W[j];
      }
    }
    searching = true;
    searchBtn.textContent = "Reset Search";
    setClass(searchBtn, "show");
    matchedEl.textContent = "Matched: " + (100 * sum / C.total).toFixed(2) + "%";
  }
  function resetSearch() {
    for (var i = 0; i < els.length; i++) rects[i].setAttribute("fill", fills[i]);
    searching = false;
    searchBtn.textContent = "Search";
    setClass(searchBtn, "");
    matchedEl.textContent = " ";
  }
  function askSearch() {
    var term = window.prompt("Search frames (regular expression, e.g. ^ext4_)", "");
    if (term) search(term);
  }

  function frameOf(t) {
    for (; t && t !== framesEl; t = t.parentNode) {
      if (t.parentNode === framesEl) return typeof t.hfIndex === "number" ? t.hfIndex : -1;
    }
    return -1;
  }
  framesEl.addEventListener("mouseover", function (e) {
    var i = frameOf(e.target);
    if (i >= 0) details.textContent = "Function: " + infos[i];
  });
  framesEl.addEventListener("mouseout", function (e) {
    if (frameOf(e.target) >= 0) details.textContent = " ";
  });
  framesEl.addEventListener("click", function (e) {
    var i = frameOf(e.target);
    if (i >= 0) zoom(i);
  });
  unzoomBtn.addEventListener("click", unzoom);
  searchBtn.addEventListener("click", function () {
    if (searching) resetSearch();
    else askSearch();
  });
  window.addEventListener("keydown", function (e) {
    var mod = e.ctrlKey || e.metaKey;
    var key = e.key ? e.key.toLowerCase() : "";
    if ((mod && (key === "f" || e.keyCode === 70)) || key === "f3" || e.keyCode === 114) {
      e.preventDefault();
      askSearch();
    } else if (mod && (key === "i" || e.keyCode === 73)) {
      e.preventDefault();
      resetSearch();
    } else if (key === "escape" && zoomed) {
      unzoom();
    }
  });
})();
`;
