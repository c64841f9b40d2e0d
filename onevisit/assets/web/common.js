// Shared by the hall's pages: language switch, API calls with bilingual errors, the live event stream.
// Plain JS, no build step and nothing from the internet: the hall may run with no outside network.
"use strict";

const OV = (() => {
  const params = new URLSearchParams(location.search);
  let lang = params.get("lang") || localStorage.getItem("ov.lang") || "zh";
  const dict = {};

  function addWords(words) {
    for (const [key, pair] of Object.entries(words)) dict[key] = pair;
  }

  function t(key, vars) {
    const pair = dict[key];
    let text = pair ? pair[lang === "en" ? 1 : 0] : key;
    if (vars) for (const [k, v] of Object.entries(vars)) text = text.replaceAll("{" + k + "}", v);
    return text;
  }

  function applyWords(root) {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    (root || document).querySelectorAll("[data-t]").forEach((el) => {
      el.textContent = t(el.dataset.t);
    });
    (root || document).querySelectorAll("[data-t-placeholder]").forEach((el) => {
      el.placeholder = t(el.dataset.tPlaceholder);
    });
  }

  const langListeners = [];
  function setLang(next) {
    lang = next;
    localStorage.setItem("ov.lang", lang);
    applyWords();
    langListeners.forEach((fn) => fn(lang));
  }

  function onLang(fn) {
    langListeners.push(fn);
  }

  function bindLangButton(button) {
    const label = () => (button.textContent = lang === "en" ? "中文" : "English");
    label();
    button.addEventListener("click", () => {
      setLang(lang === "en" ? "zh" : "en");
      label();
    });
  }

  // Matter names from the server, so a hall's own matters show without editing the pages.
  const matters = {};
  function matterName(code) {
    const m = matters[code];
    if (!m) return code || "";
    return lang === "en" ? m.name_en : m.name_zh;
  }
  // The hall's one wait estimate, already worded by the server ("约10–15分钟"), as the kiosk and
  // the printed ticket say it (onevisit.queue.policy.estimate_wait, onevisit.core.waits).
  function waitText(x) {
    return (x && (lang === "en" ? x.wait_en : x.wait_zh)) || "—";
  }
  function rememberMatters(list) {
    for (const m of list || []) matters[m.code] = m;
  }

  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message_en || "HTTP " + status);
      this.status = status;
      this.code = e.code || "http_" + status;
      this.zh = e.message_zh || "请求失败（" + status + "）";
      this.en = e.message_en || "Request failed (" + status + ")";
      this.details = e.details || {};
    }
    text() {
      return lang === "en" ? this.en : this.zh;
    }
    /** The message in the reader's language first, the other under it: [first, second]. */
    both() {
      return lang === "en" ? [this.en, this.zh] : [this.zh, this.en];
    }
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  async function api(method, path, body, opts) {
    opts = opts || {};
    const headers = { Accept: "application/json" };
    // A FormData body (a file upload) sets its own multipart Content-Type with the boundary.
    const isForm = typeof FormData !== "undefined" && body instanceof FormData;
    if (body !== undefined && body !== null && !isForm) headers["Content-Type"] = "application/json";
    if (opts.token) headers.Authorization = "Bearer " + opts.token;
    if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined || body === null ? undefined : isForm ? body : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (err) {
      throw new ApiError(0, {
        error: {
          code: "network",
          message_zh: "无法连接大厅服务器，请稍候",
          message_en: "Cannot reach the hall server; please wait",
        },
      });
    }
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // The event stream: reconnects by itself with growing pauses (1 s … 15 s) after a server restart.
  // Event ids count within the database's epoch (onevisit/db/epoch.py): after the hall restarts on
  // a fresh or restored database they start again at 1. The stream's first message (stream.hello)
  // and every event carry the epoch; on a new epoch, or when the hall says `resync`, the last id
  // is dropped and onResync (default: onOpen) fetches the full state again.
  class EventStream {
    constructor({ onEvent, onOpen, onState, onResync }) {
      this.onEvent = onEvent || (() => {});
      this.onOpen = onOpen || (() => {});
      this.onState = onState || (() => {});
      this.onResync = onResync || this.onOpen;
      this.lastId = null;
      this.epoch = null;
      this.delay = 1000;
      this.ws = null;
      this.connect();
    }
    connect() {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const params = new URLSearchParams();
      if (this.lastId !== null) params.set("since", this.lastId);
      if (this.epoch !== null) params.set("epoch", this.epoch);
      const query = params.toString() ? "?" + params.toString() : "";
      let ws;
      try {
        ws = new WebSocket(proto + "//" + location.host + "/ws" + query);
      } catch (err) {
        this.retry();
        return;
      }
      this.ws = ws;
      ws.onopen = () => {
        this.delay = 1000;
        this.onState(true);
        this.onOpen();
      };
      ws.onmessage = (msg) => {
        let event;
        try {
          event = JSON.parse(msg.data);
        } catch (err) {
          return;
        }
        if (!event || typeof event !== "object") return;
        const another = typeof event.epoch === "string" && this.epoch !== null && event.epoch !== this.epoch;
        if (typeof event.epoch === "string") this.epoch = event.epoch;
        if (another || (event.kind === "stream.hello" && event.resync)) {
          this.lastId = null; // ids of the old database mean nothing in this one
          this.onResync();
        }
        if (event.kind === "stream.hello") return;
        if (this.lastId !== null && event.id <= this.lastId) return; // replayed after a reconnect
        this.lastId = event.id;
        this.onEvent(event);
      };
      ws.onclose = () => {
        this.onState(false);
        this.retry();
      };
      ws.onerror = () => ws.close();
    }
    retry() {
      const wait = this.delay + Math.random() * 500;
      this.delay = Math.min(this.delay * 2, 15000);
      setTimeout(() => this.connect(), wait);
    }
  }

  // Run fn at most once per `ms`, the last call winning: many events, one refresh.
  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  addWords({
    "state.pending": ["待办", "Later"],
    "state.waiting": ["等候中", "Waiting"],
    "state.called": ["已叫号", "Called"],
    "state.serving": ["办理中", "Serving"],
    "state.done": ["已完成", "Done"],
    "state.transferred": ["已转出", "Transferred out"],
    "state.transferred.why": ["已转出（{r}）", "Transferred out ({r})"],
    "state.skipped": ["过号", "Missed"],
    "state.cancelled": ["已取消", "Cancelled"],
    "state.missed": ["过号", "Missed"],
    "window.open": ["开放", "Open"],
    "window.paused": ["暂停", "Paused"],
    "window.closed": ["关闭", "Closed"],
    "conn.lost": ["连接中断，显示内容可能不是最新", "Connection lost — what is shown may not be current"],
    "windowN": ["{n}号窗口", "Window {n}"],
    "minutes": ["约 {n} 分钟", "about {n} min"],
  });

  // A step's state in words. A transferred step (转出) says why, from the step the transfer added
  // right after it ("已转出（需补缴）"): it was not finished, so it never reads 已完成.
  function stepStateText(step, steps) {
    if (step.state === "transferred") {
      const i = steps.indexOf(step);
      const next = i >= 0 ? steps[i + 1] : null;
      const why = next && next.transfer_reason;
      return why ? t("state.transferred.why", { r: why }) : t("state.transferred");
    }
    return t("state." + step.state);
  }

  // Priority in words ("年满70周岁", "军人/退役军人"): the server maps the codes once
  // (onevisit/queue/priority.py); the page only picks the language.
  function priorityText(row) {
    if (!row || !row.priority) return "";
    return (lang === "en" ? row.priority_label_en : row.priority_label_zh) || "";
  }

  // Connection-lost banner: shown only when the stream has been down for `delayMs` (a restart of a
  // second or two is not worth alarming a hall), hidden as soon as it is back.
  function connectionBanner(node, delayMs) {
    let timer = null;
    return (up) => {
      if (up) {
        clearTimeout(timer);
        timer = null;
        node.classList.add("hidden");
      } else if (timer === null) {
        // Counted from the first failure: repeated failures (a polling page) do not restart it.
        timer = setTimeout(() => node.classList.remove("hidden"), delayMs === undefined ? 3000 : delayMs);
      }
    };
  }

  // Whole minutes for people: never "0.4 分钟" or "12.7 分钟".
  function wholeMinutes(value) {
    if (value === null || value === undefined || value === "") return "—";
    return String(Math.round(Number(value)));
  }

  // The login of a back-office page (supervisor, maintenance): the #login-form, #board and
  // #logout elements (#who shows the name where a page has it), the token kept in sessionStorage under `key`, only `role` admitted.
  // Returns the session gate: .token, .call(method, path, body) that drops back to the login on
  // 401/403, and .showLogin(text).
  function loginGate({ role, key, forbidden, onStart }) {
    const $ = (id) => document.getElementById(id);
    const gate = {
      token: sessionStorage.getItem(key),
      name: sessionStorage.getItem(key + ".name") || "",
      showLogin(text) {
        gate.token = null;
        sessionStorage.removeItem(key);
        $("board").classList.add("hidden");
        $("logout").classList.add("hidden");
        $("login-form").classList.remove("hidden");
        if ($("who")) $("who").textContent = "";
        if (text) {
          $("login-error").textContent = text;
          $("login-error").classList.remove("hidden");
        }
      },
      async call(method, path, body) {
        try {
          return await api(method, path, body, { token: gate.token });
        } catch (err) {
          if (err.status === 401 || err.status === 403) gate.showLogin(err.text());
          throw err;
        }
      },
      start() {
        $("login-form").classList.add("hidden");
        $("board").classList.remove("hidden");
        $("logout").classList.remove("hidden");
        if ($("who")) $("who").textContent = gate.name;
        return onStart();
      },
    };
    $("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const r = await api("POST", "/api/auth/login", { username: $("username").value.trim(), password: $("password").value });
        if (r.role !== role) throw new ApiError(403, { error: { code: "forbidden_role", message_zh: t(forbidden), message_en: t(forbidden) } });
        gate.token = r.token;
        gate.name = r.name;
        sessionStorage.setItem(key, r.token);
        sessionStorage.setItem(key + ".name", r.name);
        $("login-error").classList.add("hidden");
        gate.start();
      } catch (err) {
        $("login-error").textContent = err.text ? err.text() : String(err);
        $("login-error").classList.remove("hidden");
      }
    });
    $("logout").addEventListener("click", () => {
      if (gate.token) api("POST", "/api/auth/logout", null, { token: gate.token }).catch(() => {});
      gate.showLogin();
    });
    return gate;
  }

  return {
    t,
    addWords,
    loginGate,
    applyWords,
    setLang,
    onLang,
    bindLangButton,
    get lang() {
      return lang;
    },
    params,
    api,
    ApiError,
    newKey,
    EventStream,
    debounce,
    el,
    matterName,
    waitText,
    rememberMatters,
    stepStateText,
    priorityText,
    connectionBanner,
    wholeMinutes,
  };
})();
