// The bundle upload form. fetch() cannot report upload progress, so this posts the form to
// the JSON API with XMLHttpRequest and shows a progress bar; once the deployment is
// accepted it tells the page (event `deployment-created`), whose release log and history
// fetch themselves again and stream the new deployment's log.
(() => {
  const MiB = 1024 * 1024;
  const size = (n) =>
    n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`;

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
      status.textContent = `Deployment ${body.id.slice(-8)} accepted.`;
      setTimeout(() => {
        progress.hidden = true;
      }, 1500);
      if (window.htmx) {
        window.htmx.trigger(document.body, "deployment-created", { id: body.id });
      } else {
        window.location.href = `/deployments/${body.id}`;
      }
    };
    xhr.onerror = () =>
      fail("The upload failed: the server could not be reached or closed the connection.");

    button.disabled = true;
    bar.value = 0;
    status.textContent = `Uploading ${file.name}…`;
    progress.hidden = false;
    xhr.send(new FormData(form));
  }
})();
