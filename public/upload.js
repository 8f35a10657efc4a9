// The bundle upload form. fetch() cannot report upload progress, so this posts the form to
// the JSON API with XMLHttpRequest and shows a progress bar; once the deployment is
// accepted it tells the page (event `deployment-created`), whose release log and history
// fetch themselves again and stream the new deployment's log.
(() => {
  const MiB = 1024 * 1024;
  const size = (n) =>
    n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`;

  // drag and drop onto the bundle field: the dropped file becomes the file input's file
  const zoneOf = (event) =>
    event.target instanceof Element && event.target.closest("[data-dropzone]");
  for (const type of ["dragenter", "dragover"]) {
    document.addEventListener(type, (event) => {
      const zone = zoneOf(event);
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("dropzone-over");
    });
  }
  document.addEventListener("dragleave", (event) => {
    const zone = zoneOf(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dropzone-over");
  });
  document.addEventListener("drop", (event) => {
    const zone = zoneOf(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dropzone-over");
    const files = event.dataTransfer?.files;
    const input = zone.querySelector("input[type=file]");
    if (!files?.length || !input) return;
    input.files = files;
    const text = zone.querySelector("[data-dropzone-text]");
    if (text) text.textContent = `${files[0].name} (${size(files[0].size)}) is ready to deploy.`;
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "upload-form") return;
    event.preventDefault();
    upload(form);
  });

  function upload(form) {
    const progress = form.querySelector("[data-upload-progress]");
    const bar = progress.querySelector("progress");
    const status = form.querySelector("[data-upload-progress-text]");
    const error = form.querySelector("[data-upload-error]");
    const button = form.querySelector("button[type=submit]");
    const fail = (message) => {
      error.textContent = message;
      error.hidden = false;
      progress.hidden = true;
      button.disabled = false;
    };

    error.hidden = true;
    const file = form.elements.bundle.files[0];
    if (!file) return fail("Choose a .zip or .tar.gz file to deploy.");
    const max = Number(form.dataset.maxBytes);
    if (max && file.size > max) {
      return fail(`${file.name} is ${size(file.size)}; bundles can be at most ${size(max)}.`);
    }

    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.api);
    xhr.responseType = "json";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.floor((e.loaded / e.total) * 100);
      bar.value = percent;
      status.textContent = `Uploading ${percent}% (${size(e.loaded)} of ${size(e.total)})`;
    };
    xhr.upload.onload = () => {
      bar.value = 100;
      status.textContent = "Uploaded. Validating the bundle…";
    };
    xhr.onload = () => {
      const body = xhr.response;
      if (xhr.status !== 202 || !body?.id) {
        return fail(body?.error?.message ?? `The upload was refused (HTTP ${xhr.status}).`);
      }
      form.reset();
      button.disabled = false;
      bar.hidden = true;
      status.textContent = "";
      const link = document.createElement("a");
      link.href = `/deployments/${body.id}`;
      link.textContent = `Deployment ${body.id.slice(-8)}`;
      status.append(link, " accepted: its release log follows below.");
      if (window.htmx) {
        window.htmx.trigger(document.body, "deployment-created", { id: body.id });
      } else {
        window.location.href = `/deployments/${body.id}`;
      }
    };
    xhr.onerror = () =>
      fail("The upload failed: the server could not be reached or closed the connection.");

    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    status.textContent = `Uploading ${file.name}…`;
    progress.hidden = false;
    xhr.send(new FormData(form));
  }
})();
