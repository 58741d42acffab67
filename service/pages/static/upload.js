// Upload page: send the chosen files as one batch, then follow each job with ?wait long polls.
"use strict";
(function () {
  const form = document.getElementById("upload");
  const input = document.getElementById("files");
  const drop = document.getElementById("drop");
  const message = document.getElementById("message");
  const results = document.getElementById("results");
  const tbody = document.querySelector("#jobs tbody");
  const batchLinks = document.getElementById("batch-links");
  const keyField = document.getElementById("apikey");
  const STATUS = {queued: "排队 queued", running: "解析中 running", succeeded: "完成 succeeded", failed: "失败 failed",
                  canceled: "已取消 canceled", rejected: "未受理 rejected", expired: "已过期 expired"};
  const TERMINAL = new Set(["succeeded", "failed", "canceled"]);

  keyField.value = sessionStorage.getItem("fazhi-key") || "";
  function headers() {
    const key = keyField.value.trim();
    sessionStorage.setItem("fazhi-key", key);
    return key ? {"X-API-Key": key} : {};
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function setRow(row, status, stage, job) {
    const cell = row.cells[1];
    cell.textContent = STATUS[status] || status;
    cell.className = "status-" + status;
    row.cells[2].textContent = status === "succeeded" ? "" : (stage || "");
    row.dataset.status = status;
    const out = row.cells[3];
    out.replaceChildren();
    if (status === "succeeded") {
      out.append(link("/v1/jobs/" + job + "/view", "审阅 Review"), link("/v1/jobs/" + job + "/card", "卡片 Card"),
                 link("/v1/jobs/" + job + "/result", "JSON"), link("/v1/jobs/" + job + "/table?format=csv", "CSV"));
      // With a key on, a browser cannot open the pages by plain link: offer signed links to hand on.
      if (keyField.value.trim()) out.append(shareButton(job));
    }
  }

  function shareButton(job) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "share";
    button.textContent = "分享 Share";
    button.addEventListener("click", async () => {
      button.disabled = true;
      let response, body;
      try {
        response = await fetch("/v1/jobs/" + encodeURIComponent(job) + "/share", {method: "POST", headers: headers()});
        body = await response.json();
      } catch (err) {
        body = {detail: String(err)};
      }
      if (!response || !response.ok) {
        button.disabled = false;
        message.textContent = "分享失败 Share failed: " + (body.detail || (response && response.status));
        return;
      }
      const note = document.createElement("span");
      note.className = "share-links";
      note.append(link(body.view_url, "分享审阅页 Shared review"), " ", link(body.card_url, "分享卡片 Shared card"),
                  " 有效期至 valid until " + body.expires_at.slice(0, 16).replace("T", " ") + " UTC");
      button.replaceWith(note);
    });
    return button;
  }

  async function follow(row, jobId) {
    for (;;) {
      let body;
      try {
        const response = await fetch("/v1/jobs/" + encodeURIComponent(jobId) + "?wait=20", {headers: headers()});
        body = await response.json();
        if (!response.ok) { setRow(row, "failed", body.detail || response.status, jobId); return; }
      } catch (err) {
        await new Promise((ok) => setTimeout(ok, 2000));
        continue;
      }
      const stage = body.error ? body.error.code + ": " + body.error.message : (body.progress && body.progress.stage) || "";
      setRow(row, body.status, stage, jobId);
      if (TERMINAL.has(body.status)) return;
    }
  }

  function addRow(name) {
    const row = tbody.insertRow();
    for (let i = 0; i < 4; i++) row.insertCell();
    row.cells[0].textContent = name || "（未命名 unnamed）";
    return row;
  }

  async function send(files) {
    if (!files.length) { message.textContent = "请选择文件 / Choose at least one file."; return; }
    const data = new FormData();
    for (const file of files) data.append("file", file, file.name);
    message.textContent = "正在上传 " + files.length + " 个文件… Uploading…";
    let response, body;
    try {
      response = await fetch("/v1/batches", {method: "POST", body: data, headers: headers()});
      body = await response.json();
    } catch (err) {
      message.textContent = "上传失败 Upload failed: " + err;
      return;
    }
    if (!response.ok) { message.textContent = "上传失败 Upload failed: " + (body.detail || response.status); return; }
    message.textContent = "已受理 " + body.totals.documents + " 份文件 Accepted. 批次 Batch " + body.id;
    results.hidden = false;
    batchLinks.replaceChildren("比较表 Comparison table: ",
      link("/v1/batches/" + body.id + "/table?format=csv", "CSV"), " ",
      link("/v1/batches/" + body.id + "/table?format=xlsx", "XLSX"), " ",
      link("/v1/batches/" + body.id + "/table?format=jsonl", "JSON Lines"), " ",
      link("/v1/batches/" + body.id, "批次状态 Batch status"));
    for (const doc of body.documents) {
      const row = addRow(doc.filename);
      if (doc.error) { setRow(row, "rejected", doc.error.code + ": " + doc.error.message, null); continue; }
      row.dataset.job = doc.job.id;
      setRow(row, doc.job.status, "", doc.job.id);
      follow(row, doc.job.id);
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); send(Array.from(input.files)); });
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => { event.preventDefault(); drop.classList.add("over"); });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (event) => { event.preventDefault(); send(Array.from(event.dataTransfer.files)); });
})();
