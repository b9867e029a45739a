// hookline console: progressive enhancement only; every form also works without script.
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const csrf = () => $('input[name="csrf"]')?.value ?? "";
const say = (text) => { const live = $("#live"); if (live) { live.textContent = ""; live.textContent = text; } };

async function post(url, form, accept = "application/json") {
  const response = await fetch(url, {
    method: "POST",
    headers: { "X-CSRF-Token": csrf(), Accept: accept },
    body: new URLSearchParams(new FormData(form)),
    credentials: "same-origin",
  });
  return response.json();
}

function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// language: change on select, no extra button
$$("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
$$("[data-nojs]").forEach((el) => { el.hidden = true; });

// Copiar
$$("button[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const input = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select();
      document.execCommand("copy");
    }
    const done = button.dataset.done || (document.documentElement.lang === "en" ? "Copied!" : "Copiado!");
    const label = button.textContent;
    button.textContent = done;
    $("[data-copied]")?.removeAttribute("hidden");
    say(done);
    setTimeout(() => { button.textContent = label; }, 2000);
  });
});

// ⋮ menus: one open at a time, Escape closes and returns focus
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  $$("details.menu[open]").forEach((menu) => { menu.open = false; $("summary", menu).focus(); });
});
$$("details.menu").forEach((menu) => {
  menu.addEventListener("toggle", () => {
    if (menu.open) $$("details.menu[open]").forEach((other) => { if (other !== menu) other.open = false; });
  });
});

// mapping: click a field, then a path of the tree
const mappingForm = $("#mapping-form");
if (mappingForm) {
  let target = null;
  const select = (input) => {
    $$("[data-map]", mappingForm).forEach((el) => el.classList.toggle("target", el === input));
    target = input;
  };
  mappingForm.addEventListener("focusin", (event) => {
    if (event.target.matches("[data-map]")) select(event.target);
  });
  const pick = () => target ?? $$("[data-map]", mappingForm).find((el) => !el.value) ?? $("[data-map]", mappingForm);
  const preview = debounce(async () => {
    const out = $("[data-preview-out]");
    if (!out) return;
    const answer = await post(mappingForm.dataset.preview, mappingForm);
    const lead = answer.lead ?? {};
    const text = (value) => (value === null || value === undefined || value === "" ? "—" : String(value));
    for (const key of ["event", "name", "phone"]) $(`[data-k="${key}"]`, out).textContent = text(lead[key]);
    const fields = Object.entries(lead.fields ?? {}).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
    $('[data-k="fields"]', out).textContent = fields.join("; ") || "—";
    $('[data-k="errors"]', out).textContent = answer.ok ? (lead.errors ?? []).join("; ") || "—" : answer.error;
  }, 250);
  $$("button[data-path], button[data-header]").forEach((button) => {
    button.addEventListener("click", () => {
      const input = pick();
      input.value = button.dataset.header
        ? JSON.stringify({ header: button.dataset.header })
        : button.dataset.path.replaceAll("[]", "[0]");
      select(input);
      input.focus();
      say(`${input.labels?.[0]?.textContent?.trim() ?? ""}: ${input.value}`);
      preview();
    });
  });
  mappingForm.addEventListener("input", preview);
  $("[data-add-row]")?.addEventListener("click", () => {
    const row = $("#field-row").content.firstElementChild.cloneNode(true);
    $("[data-field-rows]").append(row);
    $("input", row).focus();
  });
}

// forms sent in the background (+ Criar campo personalizado)
$$("form[data-async]").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("[data-async-status]", form);
    const answer = await post(form.action, form);
    if (answer.ok) {
      const list = $("#custom-fields");
      if (list) list.append(new Option(answer.name, answer.name));
      status.textContent = (document.documentElement.lang === "en" ? "Field created: " : "Campo criado: ") + answer.name;
      form.reset();
    } else {
      status.textContent = answer.error;
    }
  });
});

// Nova ação: the chosen type's fields only; variables and template preview
const kinds = $("select[data-kinds]");
if (kinds) {
  const show = () => {
    $$("fieldset[data-kind]").forEach((set) => {
      const on = set.dataset.kind === kinds.value;
      set.hidden = !on;
      if (!set.dataset.locked) set.disabled = !on;
      $$("[data-required]", set).forEach((input) => { input.required = on; });
    });
  };
  $$("fieldset[data-kind]").forEach((set) => { if (set.disabled) set.dataset.locked = "1"; });
  kinds.addEventListener("change", show);
  show();
  const actionForm = $("#action-form");
  const render = debounce(async (area) => {
    const data = new FormData();
    data.set("text", area.value);
    data.set("csrf", csrf());
    const response = await fetch(actionForm.dataset.templatePreview, {
      method: "POST", headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
      body: new URLSearchParams(data), credentials: "same-origin",
    });
    const answer = await response.json();
    const out = $(`[data-template-out="${area.id}"]`);
    if (out) out.textContent = answer.ok ? answer.text : answer.error;
  }, 250);
  $$("textarea[data-templated]").forEach((area) => area.addEventListener("input", () => render(area)));
  $$("button[data-var]").forEach((button) => {
    button.addEventListener("click", () => {
      const area = document.getElementById(button.dataset.for);
      const at = area.selectionStart ?? area.value.length;
      area.value = area.value.slice(0, at) + button.dataset.var + area.value.slice(area.selectionEnd ?? at);
      area.focus();
      area.selectionStart = area.selectionEnd = at + button.dataset.var.length;
      render(area);
    });
  });
}

// Novo evento: "Outro (digitar)" moves focus to the typed identification
$$("select[data-other]").forEach((select) => {
  const other = document.getElementById(select.dataset.other);
  const sync = () => { other.closest("label, div")?.removeAttribute("hidden"); other.required = select.value === "__other__"; };
  select.addEventListener("change", () => { sync(); if (select.value === "__other__") other.focus(); });
  sync();
});
