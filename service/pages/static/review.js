// Review page: clicking an indicator highlights its evidence in the text and, for a PDF,
// shows the page with the indicator's boxes drawn. Without this script the links still jump.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("fz-data").textContent);
  const img = document.getElementById("page-img");
  const wrap = document.getElementById("page-wrap");
  const caption = document.getElementById("page-caption");

  function showPdf(ind) {
    if (!img || !ind || !ind.page) return;
    const size = data.pages[String(ind.page)];
    const src = "/v1/jobs/" + data.job + "/pages/" + ind.page + ".png" + (data.query || "");
    if (img.getAttribute("src") !== src) img.setAttribute("src", src);
    img.alt = "第 " + ind.page + " 页 Page " + ind.page;
    if (caption) caption.textContent = "第 " + ind.page + " 页 / Page " + ind.page;
    wrap.querySelectorAll(".page-box").forEach((el) => el.remove());
    if (!size) return;
    const [w, h] = size;
    const boxes = ind.boxes && ind.boxes.length ? ind.boxes.filter((b) => b.page === ind.page).map((b) => b.bbox) : [ind.bbox];
    let first = null;
    for (const box of boxes) {
      if (!box) continue;
      const [x0, y0, x1, y1] = box;
      const el = document.createElement("div");
      el.className = "page-box";
      el.style.left = (x0 / w * 100) + "%";
      el.style.top = ((h - y1) / h * 100) + "%";
      el.style.width = ((x1 - x0) / w * 100) + "%";
      el.style.height = ((y1 - y0) / h * 100) + "%";
      wrap.appendChild(el);
      first = first || el;
    }
    if (first) first.scrollIntoView({block: "nearest", behavior: "auto"});
  }

  function select(i) {
    document.querySelectorAll("mark.ev.active, .indicators a.active").forEach((el) => el.classList.remove("active"));
    const marks = document.querySelectorAll('mark.ev[data-ids~="' + i + '"]');
    marks.forEach((el) => el.classList.add("active"));
    const item = document.querySelector('.indicators a[data-ind="' + i + '"]');
    if (item) { item.classList.add("active"); item.setAttribute("aria-current", "true"); }
    if (marks.length) marks[0].scrollIntoView({block: "center", behavior: "auto"});
    showPdf(data.indicators[i]);
  }

  document.querySelectorAll(".indicators a[data-ind]").forEach((a) => {
    a.addEventListener("click", (event) => { event.preventDefault(); select(a.dataset.ind); history.replaceState(null, "", a.getAttribute("href")); });
  });
  document.getElementById("doc-text").addEventListener("click", (event) => {
    const mark = event.target.closest("mark.ev");
    if (mark) select(mark.dataset.ids.split(" ")[0]);
  });
  const m = /^#ev-(\d+)$/.exec(location.hash);
  if (m) select(m[1]);
})();
