// LockBridge Guests card: the host's console (arrivals, who is in, every coming stay, PINs
// for admins, and the admin actions). One plain ES module, no build step, no import: it is
// served by the integration itself (card.py). Names come from the clouds and may hold HTML or
// markdown: everything is written with text nodes, never innerHTML.

const CARD = "lockbridge-guests-card";
const DOMAIN = "lockbridge";
const REFRESH_MS = 60_000;
const DEFAULT_DAYS = 14;
// Actions that answer (set_stay_override does not, and refuses return_response).
const ANSWERS = new Set(["regenerate_code", "send_guest_message", "remove_code"]);
const MAX_DAYS = 90;
const PARTS = ["status", "today", "in_house", "coming"];
// A unit's housekeeping states, in the order a click on its chip goes through them.
const HOUSEKEEPING = ["dirty", "cleaning", "ready"];

const WORDS = {
  en: {
    title: "Guests",
    loading: "Loading…",
    load_failed: "LockBridge could not be read: {error}",
    today: "Today",
    arrivals: "Arrivals",
    departures: "Departures",
    none: "none",
    in_house: "In the units now",
    free: "free",
    coming: "Coming stays (next {days} days)",
    no_coming: "No coming stay.",
    agree: "Bookings and keypads agree.",
    cloud_down: "{cloud} cannot be read since {since}.",
    cloud_down_new: "{cloud} cannot be read.",
    shown_as_of: "What is shown is as of {as_of}.",
    never_read: "It has not been read yet.",
    as_of: "as of {time}",
    problems: "Sync problem",
    code: "Code",
    code_valid: "code {window}",
    pin: "PIN",
    masked: "PIN hidden (administrators only)",
    copy: "Copy",
    copied: "Copied",
    state_active: "active",
    state_scheduled: "scheduled",
    state_pending: "pending",
    state_failed: "failed",
    state_ended: "ended",
    state_none: "no code",
    override: "times changed",
    adults: "{n} adults",
    adult: "1 adult",
    children: "{n} children",
    child: "1 child",
    change_times: "Change times",
    check_in: "Check-in",
    check_out: "Check-out",
    save: "Save",
    cancel: "Cancel",
    clear_override: "Back to the booking's times",
    regenerate: "New PIN",
    new_pin: "New PIN: {pin}",
    send: "Send PIN",
    sent: "Message sent.",
    remove: "Remove code",
    confirm_remove: "Remove this code from the keypad?",
    yes_remove: "Remove",
    removed: "Code removed.",
    saved: "Saved.",
    working: "Working…",
    kind_thekeys: "The Keys",
    kind_smoobu: "Smoobu",
    kind_hotelrunner: "HotelRunner",
    in_since: "In since {time}",
    marked_by_host: "(marked by host)",
    not_in_yet: "Not in yet",
    late: "Late",
    late_title: "Not seen at the door though the check-in time is past",
    housekeeping: "Housekeeping: {state}",
    housekeeping_next: "Housekeeping: {state}. Set it to {next}",
    hk_dirty: "Dirty",
    hk_cleaning: "Cleaning",
    hk_ready: "Ready",
    message:
      "Hello {guest}, your door code for {unit} is {pin}. It works {window}.",
  },
  fr: {
    title: "Voyageurs",
    loading: "Chargement…",
    load_failed: "LockBridge n'a pas pu être lu : {error}",
    today: "Aujourd'hui",
    arrivals: "Arrivées",
    departures: "Départs",
    none: "aucun",
    in_house: "Dans les logements",
    free: "libre",
    coming: "Séjours à venir ({days} prochains jours)",
    no_coming: "Aucun séjour à venir.",
    agree: "Réservations et claviers concordent.",
    cloud_down: "{cloud} ne peut pas être lu depuis {since}.",
    cloud_down_new: "{cloud} ne peut pas être lu.",
    shown_as_of: "Ce qui est affiché date de {as_of}.",
    never_read: "Il n'a pas encore été lu.",
    as_of: "état de {time}",
    problems: "Problème de synchronisation",
    code: "Code",
    code_valid: "code {window}",
    pin: "PIN",
    masked: "PIN masqué (administrateurs seulement)",
    copy: "Copier",
    copied: "Copié",
    state_active: "actif",
    state_scheduled: "programmé",
    state_pending: "en attente",
    state_failed: "en échec",
    state_ended: "terminé",
    state_none: "pas de code",
    override: "horaires modifiés",
    adults: "{n} adultes",
    adult: "1 adulte",
    children: "{n} enfants",
    child: "1 enfant",
    change_times: "Changer les horaires",
    check_in: "Arrivée",
    check_out: "Départ",
    save: "Enregistrer",
    cancel: "Annuler",
    clear_override: "Revenir aux horaires de la réservation",
    regenerate: "Nouveau PIN",
    new_pin: "Nouveau PIN : {pin}",
    send: "Envoyer le PIN",
    sent: "Message envoyé.",
    remove: "Supprimer le code",
    confirm_remove: "Supprimer ce code du clavier ?",
    yes_remove: "Supprimer",
    removed: "Code supprimé.",
    saved: "Enregistré.",
    working: "En cours…",
    kind_thekeys: "The Keys",
    kind_smoobu: "Smoobu",
    kind_hotelrunner: "HotelRunner",
    in_since: "Arrivé à {time}",
    marked_by_host: "(indiqué par l'hôte)",
    not_in_yet: "Pas encore arrivé",
    late: "En retard",
    late_title: "Pas vu à la porte alors que l'heure d'arrivée est passée",
    housekeeping: "Ménage : {state}",
    housekeeping_next: "Ménage : {state}. Passer à « {next} »",
    hk_dirty: "À faire",
    hk_cleaning: "En cours",
    hk_ready: "Prêt",
    message:
      "Bonjour {guest}, votre code pour {unit} est {pin}. Il fonctionne {window}.",
  },
};

const STYLE = `
  :host { display: block; }
  ha-card, .card { padding: 12px 16px 16px; overflow-wrap: anywhere; box-sizing: border-box; }
  h2 { font-size: 1.2em; font-weight: 500; margin: 4px 0 8px; }
  h3 { font-size: 1em; font-weight: 500; margin: 14px 0 6px; color: var(--secondary-text-color); }
  h4 { font-size: 1em; font-weight: 500; margin: 10px 0 4px; display: flex; flex-wrap: wrap;
       gap: 6px; align-items: baseline; }
  ul { list-style: none; margin: 0; padding: 0; }
  li { margin: 2px 0; }
  .banner { border-radius: 8px; padding: 8px 10px; margin: 6px 0;
            background: var(--warning-color, #ffa600); color: var(--text-primary-color, #000); }
  .banner.error { background: var(--error-color, #db4437); color: #fff; }
  .ok { color: var(--success-color, #43a047); }
  .muted { color: var(--secondary-text-color); font-size: 0.9em; }
  .stale { color: var(--warning-color, #ffa600); font-size: 0.85em; font-weight: normal; }
  .stay { border-top: 1px solid var(--divider-color, #ddd); padding: 8px 0; }
  .line { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; min-width: 0; }
  .guest { font-weight: 500; }
  .chip { font-size: 0.8em; border-radius: 10px; padding: 1px 8px;
          background: var(--secondary-background-color, #eee); white-space: nowrap; }
  .chip.active { background: var(--success-color, #43a047); color: #fff; }
  .chip.failed { background: var(--error-color, #db4437); color: #fff; }
  .chip.pending { background: var(--warning-color, #ffa600); color: #000; }
  .chip.late { background: var(--warning-color, #ffa600); color: #000; font-weight: 500; }
  .chip.dirty { background: var(--warning-color, #ffa600); color: #000; }
  .chip.cleaning { background: var(--info-color, #039be5); color: #fff; }
  .chip.ready { background: var(--success-color, #43a047); color: #fff; }
  .arrived { color: var(--success-color, #43a047); }
  .pin { font-family: var(--code-font-family, monospace); font-size: 1.15em; letter-spacing: 1px; }
  button { font: inherit; font-size: 0.85em; cursor: pointer; border-radius: 6px;
           border: 1px solid var(--primary-color, #03a9f4); background: transparent;
           color: var(--primary-color, #03a9f4); padding: 3px 8px; }
  button.danger { border-color: var(--error-color, #db4437); color: var(--error-color, #db4437); }
  button:disabled { opacity: 0.5; cursor: default; }
  button:focus-visible { outline: 2px solid var(--primary-color, #03a9f4); outline-offset: 2px; }
  button.chip { font-size: 0.8em; border: 1px solid transparent; border-radius: 10px; padding: 1px 8px; }
  .actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
  form { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-end; margin-top: 6px; }
  label { display: flex; flex-direction: column; font-size: 0.85em; min-width: 0; }
  input { font: inherit; max-width: 100%; box-sizing: border-box; }
  .note { font-size: 0.9em; margin-top: 4px; }
  .note.error { color: var(--error-color, #db4437); }
  .note.ok { color: var(--success-color, #43a047); }
`;

/** An element with properties (on* are listeners) and children (strings become text). */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "value") node.value = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

class LockBridgeGuestsCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._data = null;
    this._pins = {};
    this._error = null;
    this._fetchedAt = null;
    this._notes = {}; // booking -> {kind, text}
    this._unitNotes = {}; // unit -> {kind, text}: a housekeeping change refused
    this._refocus = null; // the data-focus of the control to give the focus back to
    this._busy = {}; // booking -> action
    this._editing = null; // booking whose times form is open
    this._confirming = null; // booking whose removal waits for a confirmation
    this._form = {}; // the times form's values
    this._signature = null;
    this._watched = null;
    this._entities = undefined;
    this._deferred = false;
  }

  static getStubConfig() {
    return { days: DEFAULT_DAYS };
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    const days = config.days === undefined ? DEFAULT_DAYS : Number(config.days);
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
      throw new Error(`days must be a whole number from 1 to ${MAX_DAYS}`);
    }
    const show = config.show === undefined ? PARTS : config.show;
    if (!Array.isArray(show) || !show.length || show.some((part) => !PARTS.includes(part))) {
      throw new Error(`show must be a list of: ${PARTS.join(", ")}`);
    }
    for (const key of ["entry_id", "message", "subject", "title"]) {
      if (config[key] !== undefined && typeof config[key] !== "string") {
        throw new Error(`${key} must be a text`);
      }
    }
    this._config = { ...config, days, show };
    if (this._hass) this._fetch();
    this._render();
  }

  set hass(hass) {
    const first = !this._hass;
    const before = this._hass;
    this._hass = hass;
    if (!this._config) return;
    // Cheap: the states of LockBridge's own entities only (last sync, problems, locks, days...).
    const signature = this._watch(hass);
    if (first || signature !== this._signature) {
      this._signature = signature;
      if (first) this._fetch();
      else this._soon();
    }
    if (
      first ||
      before.user?.is_admin !== hass.user?.is_admin ||
      this._language(before) !== this._language(hass)
    ) {
      this._render();
    }
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    this._timer = setInterval(() => this._fetch(), REFRESH_MS);
    if (this._hass && this._config && this._data) this._fetch();
  }

  disconnectedCallback() {
    clearInterval(this._timer);
    clearTimeout(this._debounce);
  }

  getCardSize() {
    if (!this._data) return 3;
    const stays = this._entries().reduce(
      (sum, entry) => sum + entry.units.reduce((n, unit) => n + 1 + unit.stays.length, 0),
      0,
    );
    return Math.max(3, 2 + stays);
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6 };
  }

  // ---- data ----

  _watch(hass) {
    if (hass.entities !== this._entities) {
      this._entities = hass.entities;
      const ours = Object.values(hass.entities || {})
        .filter((entity) => entity.platform === DOMAIN)
        .map((entity) => entity.entity_id);
      this._watched = ours.length
        ? ours
        : Object.keys(hass.states).filter((id) => id.endsWith("_last_sync"));
    }
    // last_updated too: a check-in or a late guest may change attributes only (the day's).
    return this._watched.map((id) => `${hass.states[id]?.state}@${hass.states[id]?.last_updated}`).join("|");
  }

  _soon() {
    clearTimeout(this._debounce);
    this._debounce = setTimeout(() => this._fetch(), 500);
  }

  async _fetch() {
    if (!this._hass || !this._config) return;
    const message = { type: `${DOMAIN}/guests`, days: this._config.days };
    if (this._config.entry_id) message.entry_id = this._config.entry_id;
    try {
      const data = await this._hass.connection.sendMessagePromise(message);
      this._data = data;
      this._error = null;
      this._fetchedAt = new Date();
    } catch (err) {
      this._error = err?.message || String(err);
    }
    if (this._hass.user?.is_admin) {
      const ask = { type: `${DOMAIN}/pins` };
      if (this._config.entry_id) ask.entry_id = this._config.entry_id;
      try {
        this._pins = (await this._hass.connection.sendMessagePromise(ask)).pins || {};
      } catch (err) {
        this._pins = {}; // refused or failed: nothing shown rather than a stale PIN
      }
    } else {
      this._pins = {};
    }
    this._render();
  }

  _entries() {
    return this._data?.entries || [];
  }

  // ---- words, dates ----

  _language(hass = this._hass) {
    return hass?.locale?.language || hass?.language || "en";
  }

  _t(key, values = {}) {
    const language = this._language().toLowerCase().split("-")[0];
    const words = WORDS[language] || WORDS.en;
    return fill(words[key] ?? WORDS.en[key] ?? key, values);
  }

  _zone() {
    return this._hass?.config?.time_zone || undefined;
  }

  _hour12() {
    const format = this._hass?.locale?.time_format;
    if (format === "12") return true;
    if (format === "24") return false;
    if (format === "system") return new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hour12;
    return undefined; // the language's own
  }

  _format(iso, options) {
    if (!iso) return "";
    const settings = { timeZone: this._zone(), ...options };
    if ("hour" in options) {
      const hour12 = this._hour12();
      if (hour12 !== undefined) settings.hour12 = hour12;
    }
    try {
      return new Intl.DateTimeFormat(this._language(), settings).format(new Date(iso));
    } catch (err) {
      return new Intl.DateTimeFormat("en", settings).format(new Date(iso));
    }
  }

  _time(iso) {
    return this._format(iso, { hour: "2-digit", minute: "2-digit" });
  }

  _day(iso) {
    return this._format(iso, { weekday: "short", day: "numeric", month: "short" });
  }

  _moment(iso) {
    return `${this._day(iso)} ${this._time(iso)}`;
  }

  /** A time alone when it is today, else with its day. */
  _when(iso) {
    const now = this._data?.now || new Date().toISOString();
    return this._day(iso) === this._day(now) ? this._time(iso) : this._moment(iso);
  }

  _window(from, to) {
    return `${this._moment(from)} → ${this._moment(to)}`;
  }

  /** Wall time in Home Assistant's zone, as a datetime-local input shows it. */
  _local(iso) {
    const parts = {};
    for (const part of new Intl.DateTimeFormat("en-GB", {
      timeZone: this._zone(),
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(new Date(iso))) {
      parts[part.type] = part.value;
    }
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
  }

  _cloudName(cloud) {
    const kind = this._t(`kind_${cloud.kind}`);
    return cloud.name && cloud.name !== kind ? `${kind} (${cloud.name})` : kind;
  }

  /** The oldest `as_of` of the clouds a unit's data comes from, when one of them is down. */
  _staleSince(entry, unit) {
    const down = (entry.clouds || []).filter(
      (cloud) => !cloud.ok && (!unit || cloud.kind === unit.source || cloud.kind === "thekeys"),
    );
    if (!down.length) return null;
    const stamps = down.map((cloud) => cloud.as_of).filter(Boolean).sort();
    return stamps.length ? stamps[0] : "";
  }

  _staleTag(since) {
    if (since === null) return null;
    return h("span", { class: "stale" }, since ? this._t("as_of", { time: this._when(since) }) : this._t("never_read"));
  }

  // ---- rendering ----

  _render() {
    if (!this._config) return;
    const root = this.shadowRoot;
    // Re-rendering while the host types in the times form would take their focus away.
    if (this._editing && root.activeElement && root.activeElement.closest?.("form")) {
      this._deferred = true;
      return;
    }
    this._deferred = false;
    const show = new Set(this._config.show);
    // A card showing one part sits under the dashboard's own heading: no title of its own.
    this._headed = ["today", "in_house", "coming"].filter((part) => show.has(part)).length > 1;
    const title = this._config.title ?? (this._headed ? this._t("title") : "");
    const body = title ? [h("h2", {}, title)] : [];
    if (this._error) {
      body.push(h("div", { class: "banner error" }, this._t("load_failed", { error: this._error })));
    }
    if (!this._data) {
      if (!this._error) body.push(h("div", { class: "muted" }, this._t("loading")));
    } else {
      const entries = this._entries();
      const several = entries.length > 1;
      for (const entry of entries) {
        if (several) body.push(h("h3", {}, entry.title));
        if (show.has("status")) body.push(this._status(entry));
        if (show.has("today")) body.push(this._today(entry));
        if (show.has("in_house")) body.push(this._inHouse(entry));
        if (show.has("coming")) body.push(this._coming(entry));
      }
    }
    const Card = customElements.get("ha-card") ? "ha-card" : "div";
    const card = h(Card, { class: "card" }, body);
    // A control drawn again keeps the keyboard's focus (a housekeeping chip clicked twice).
    const focused = root.activeElement?.getAttribute?.("data-focus") || this._refocus;
    root.replaceChildren(h("style", {}, STYLE), card);
    if (focused) {
      const again = [...root.querySelectorAll("[data-focus]")].find((node) => node.getAttribute("data-focus") === focused);
      // Disabled while it works: focused once it is back (gone: forgotten).
      this._refocus = again?.disabled ? focused : null;
      if (again && !again.disabled) again.focus();
    }
  }

  _status(entry) {
    const part = h("div", { class: "status", "data-part": "status" });
    const down = (entry.clouds || []).filter((cloud) => !cloud.ok);
    for (const cloud of down) {
      const words = [
        cloud.failing_since
          ? this._t("cloud_down", { cloud: this._cloudName(cloud), since: this._when(cloud.failing_since) })
          : this._t("cloud_down_new", { cloud: this._cloudName(cloud) }),
        cloud.as_of ? this._t("shown_as_of", { as_of: this._when(cloud.as_of) }) : this._t("never_read"),
      ];
      part.append(h("div", { class: "banner", "data-cloud": cloud.kind }, words.join(" ")));
    }
    const problems = entry.problems || [];
    if (problems.length) {
      part.append(
        h("div", { class: "banner error" }, h("strong", {}, this._t("problems")), h("ul", {}, problems.map((p) => h("li", {}, p)))),
      );
    }
    if (!down.length && !problems.length) part.append(h("div", { class: "ok" }, "✓ ", this._t("agree")));
    return part;
  }

  _heading(text, tag = null) {
    if (this._headed) return h("h3", {}, text, " ", tag);
    return tag ? h("div", {}, tag) : null;
  }

  _today(entry) {
    const stays = entry.units.flatMap((unit) => unit.stays.map((stay) => ({ unit, stay })));
    const list = (key, stamp) => {
      const items = stays
        .filter(({ stay }) => stay[key])
        .sort((a, b) => Date.parse(a.stay[stamp]) - Date.parse(b.stay[stamp]));
      return h(
        "ul",
        {},
        items.length
          ? items.map(({ unit, stay }) =>
              h(
                "li",
                { "data-booking": stay.booking_id },
                `${this._time(stay[stamp])} `,
                h("span", { class: "guest" }, stay.guest),
                `, ${unit.name}`,
                key === "arriving_today" ? this._presence(stay, " · ") : null,
              ),
            )
          : h("li", { class: "muted" }, this._t("none")),
      );
    };
    return h(
      "div",
      { "data-part": "today" },
      this._heading(this._t("today"), this._staleTag(this._staleSince(entry, null))),
      h("div", { "data-list": "arrivals" }, h("strong", {}, this._t("arrivals")), list("arriving_today", "check_in")),
      h("div", { "data-list": "departures" }, h("strong", {}, this._t("departures")), list("departing_today", "check_out")),
    );
  }

  _inHouse(entry) {
    return h(
      "div",
      { "data-part": "in_house" },
      this._heading(this._t("in_house")),
      entry.units.map((unit) => {
        const stays = unit.stays.filter((stay) => stay.in_house);
        return h(
          "div",
          { class: "unit", "data-unit": unit.unit_id },
          h("h4", {}, unit.name, this._staleTag(this._staleSince(entry, unit)), this._housekeeping(unit)),
          this._unitNote(unit),
          stays.length ? stays.map((stay) => this._stay(unit, stay, true)) : h("div", { class: "muted" }, this._t("free")),
        );
      }),
    );
  }

  _coming(entry) {
    const now = Date.parse(this._data.now);
    return h(
      "div",
      { "data-part": "coming" },
      this._heading(this._t("coming", { days: this._config.days })),
      entry.units.map((unit) => {
        const stays = unit.stays.filter((stay) => !stay.in_house && Date.parse(stay.check_in) > now);
        return h(
          "div",
          { class: "unit", "data-unit": unit.unit_id },
          h("h4", {}, unit.name, this._staleTag(this._staleSince(entry, unit))),
          stays.length ? stays.map((stay) => this._stay(unit, stay)) : h("div", { class: "muted" }, this._t("no_coming")),
        );
      }),
    );
  }

  /** Whether the guest is in (since when, and how it is known), not yet, or late. */
  _presence(stay, before = "") {
    const parts = [];
    if (stay.checked_in) {
      parts.push(h("span", { class: "arrived", "data-presence": "in" }, this._t("in_since", { time: this._when(stay.checked_in) })));
      if (stay.checked_in_how === "manual") {
        parts.push(h("span", { class: "muted", "data-how": "manual" }, this._t("marked_by_host")));
      }
    } else if (stay.arriving_today) {
      parts.push(h("span", { class: "muted", "data-presence": "not_in" }, this._t("not_in_yet")));
    }
    if (stay.late) {
      parts.push(h("span", { class: "chip late", "data-late": "", title: this._t("late_title") }, this._t("late")));
    }
    if (!parts.length) return null;
    return [before, h("span", { class: "presence" }, parts.flatMap((part, i) => (i ? [" ", part] : [part])))];
  }

  /** The unit's housekeeping chip; admins change it with a click (dirty, cleaning, ready). */
  _housekeeping(unit) {
    const state = unit.housekeeping;
    if (!HOUSEKEEPING.includes(state)) return null;
    const label = this._t(`hk_${state}`);
    const admin = Boolean(this._hass?.user?.is_admin);
    if (!admin || !unit.housekeeping_entity) {
      return h("span", { class: `chip ${state}`, "data-housekeeping": state, title: this._t("housekeeping", { state: label }) }, label);
    }
    const next = HOUSEKEEPING[(HOUSEKEEPING.indexOf(state) + 1) % HOUSEKEEPING.length];
    const words = this._t("housekeeping_next", { state: label, next: this._t(`hk_${next}`) });
    return h(
      "button",
      {
        type: "button",
        class: `chip ${state}`,
        "data-housekeeping": state,
        "data-action": "housekeeping",
        "data-focus": `housekeeping:${unit.unit_id}`,
        title: words,
        "aria-label": words,
        disabled: Boolean(this._busy[`housekeeping:${unit.unit_id}`]),
        onclick: () => this._setHousekeeping(unit, next),
      },
      label,
      h("span", { "aria-hidden": "true" }, " ↻"),
    );
  }

  _unitNote(unit) {
    const note = this._unitNotes[unit.unit_id];
    if (!note) return null;
    return h("div", { class: `note ${note.kind}`, role: note.kind === "error" ? "alert" : "status" }, note.text);
  }

  _stay(unit, stay, presence = false) {
    const admin = Boolean(this._hass?.user?.is_admin);
    const id = stay.booking_id;
    const state = stay.code_state || "none";
    const party = [];
    if (stay.adults) party.push(stay.adults === 1 ? this._t("adult") : this._t("adults", { n: stay.adults }));
    if (stay.children) party.push(stay.children === 1 ? this._t("child") : this._t("children", { n: stay.children }));
    if (stay.channel) party.push(stay.channel);
    const sameWindow = stay.start === stay.check_in && stay.end === stay.check_out;
    const here = presence ? this._presence(stay) : null;
    const row = h(
      "div",
      { class: "stay", "data-booking": id },
      h(
        "div",
        { class: "line" },
        h("span", { class: "guest" }, stay.guest),
        h("span", { class: `chip ${state}`, "data-state": state }, this._t(`state_${state}`)),
        stay.override ? h("span", { class: "chip" }, this._t("override")) : null,
      ),
      here ? h("div", { class: "line presence-line" }, here) : null,
      h("div", { class: "line window" }, this._window(stay.check_in, stay.check_out)),
      sameWindow ? null : h("div", { class: "line muted validity" }, this._t("code_valid", { window: this._window(stay.start, stay.end) })),
      party.length ? h("div", { class: "line muted" }, party.join(" · ")) : null,
      this._pinLine(stay, admin),
    );
    if (admin) row.append(this._actions(unit, stay));
    const note = this._notes[id];
    if (note) row.append(h("div", { class: `note ${note.kind}`, role: note.kind === "error" ? "alert" : "status" }, note.text));
    return row;
  }

  _pinLine(stay, admin) {
    if (stay.code_state === "ended") return null;
    if (!admin) {
      return h("div", { class: "line" }, `${this._t("pin")} `, h("span", { class: "pin masked", title: this._t("masked") }, "••••"));
    }
    const pin = this._pins[stay.booking_id];
    if (!pin) return null;
    const copy = h("button", { class: "copy", type: "button", onclick: () => this._copy(pin, copy) }, this._t("copy"));
    return h("div", { class: "line" }, `${this._t("pin")} `, h("span", { class: "pin" }, pin), copy);
  }

  _actions(unit, stay) {
    const id = stay.booking_id;
    const busy = Boolean(this._busy[id]);
    const box = h("div", { class: "admin" });
    const button = (name, label, onclick, extra = {}) =>
      h("button", { type: "button", "data-action": name, disabled: busy, onclick, ...extra }, label);
    const actions = h("div", { class: "actions" });
    if (stay.code_state !== "ended") {
      actions.append(
        button("change_times", this._t("change_times"), () => this._openForm(stay)),
        button("regenerate", this._t("regenerate"), () => this._regenerate(stay)),
      );
      if (unit.can_message) actions.append(button("send", this._t("send"), () => this._send(unit, stay)));
      if (stay.code_id && this._lockOf(unit, stay)) {
        actions.append(button("remove", this._t("remove"), () => this._askRemove(id), { class: "danger" }));
      }
    }
    box.append(actions);
    if (this._confirming === id) {
      box.append(
        h(
          "div",
          { class: "actions confirm" },
          h("span", {}, this._t("confirm_remove")),
          button("confirm_remove", this._t("yes_remove"), () => this._remove(unit, stay), { class: "danger" }),
          button("cancel_remove", this._t("cancel"), () => {
            this._confirming = null;
            this._render();
          }),
        ),
      );
    }
    if (this._editing === id) box.append(this._timesForm(stay, busy));
    if (busy) box.append(h("div", { class: "note muted" }, this._t("working")));
    return box;
  }

  _lockOf(unit, stay) {
    return stay.lock_entity || unit.lock_entity || null;
  }

  _timesForm(stay, busy) {
    const values = this._form;
    const input = (name) =>
      h("input", {
        type: "datetime-local",
        name,
        value: values[name],
        required: true,
        oninput: (event) => {
          values[name] = event.target.value;
        },
      });
    return h(
      "form",
      {
        class: "times",
        onsubmit: (event) => {
          event.preventDefault();
          this._saveTimes(stay);
        },
        onfocusout: () => setTimeout(() => this._deferred && this._render(), 0),
      },
      h("label", {}, this._t("check_in"), input("check_in")),
      h("label", {}, this._t("check_out"), input("check_out")),
      h("button", { type: "submit", "data-action": "save_times", disabled: busy }, this._t("save")),
      stay.override
        ? h("button", { type: "button", "data-action": "clear_override", disabled: busy, onclick: () => this._clearTimes(stay) }, this._t("clear_override"))
        : null,
      h(
        "button",
        {
          type: "button",
          "data-action": "cancel_times",
          onclick: () => {
            this._editing = null;
            this._render();
          },
        },
        this._t("cancel"),
      ),
    );
  }

  // ---- actions ----

  _openForm(stay) {
    this._editing = stay.booking_id;
    this._confirming = null;
    this._form = { check_in: this._local(stay.check_in), check_out: this._local(stay.check_out) };
    this._render();
  }

  _askRemove(id) {
    this._confirming = id;
    this._editing = null;
    this._render();
  }

  /** An admin-only action; its error (translated) or `done` shown on the stay. */
  async _act(id, service, data, done) {
    this._busy[id] = service;
    delete this._notes[id];
    this._render();
    try {
      const answer = await this._call(service, data);
      this._notes[id] = { kind: "ok", text: done(answer?.response ?? answer ?? {}) };
      return true;
    } catch (err) {
      this._notes[id] = { kind: "error", text: await this._errorText(err) };
      return false;
    } finally {
      delete this._busy[id];
      this._render();
      this._fetch();
    }
  }

  _call(service, data) {
    const hass = this._hass;
    const respond = ANSWERS.has(service);
    if (typeof hass.callService === "function") {
      // (domain, service, data, target, notifyOnError, returnResponse): our own error note
      // instead of the frontend's toast.
      return hass.callService(DOMAIN, service, data, undefined, false, respond);
    }
    const message = { type: "call_service", domain: DOMAIN, service, service_data: data };
    if (respond) message.return_response = true;
    return hass.connection.sendMessagePromise(message);
  }

  async _errorText(err) {
    if (err?.translation_key && typeof this._hass.loadBackendTranslation === "function") {
      try {
        const localize = await this._hass.loadBackendTranslation("exceptions", err.translation_domain || DOMAIN);
        const text = localize(
          `component.${err.translation_domain || DOMAIN}.exceptions.${err.translation_key}.message`,
          err.translation_placeholders || {},
        );
        if (text) return text;
      } catch (ignored) {
        // the server's own message below
      }
    }
    return err?.message || err?.error?.message || String(err);
  }

  /** A select of LockBridge's, not a door-code action: Home Assistant's own select action. */
  async _setHousekeeping(unit, option) {
    const key = `housekeeping:${unit.unit_id}`;
    const data = { entity_id: unit.housekeeping_entity, option };
    this._busy[key] = "select_option";
    this._refocus = key;
    delete this._unitNotes[unit.unit_id];
    this._render();
    try {
      if (typeof this._hass.callService === "function") {
        await this._hass.callService("select", "select_option", data, undefined, false);
      } else {
        await this._hass.connection.sendMessagePromise({
          type: "call_service",
          domain: "select",
          service: "select_option",
          service_data: data,
        });
      }
      unit.housekeeping = option; // at once; the refresh below says what Home Assistant has
    } catch (err) {
      this._unitNotes[unit.unit_id] = { kind: "error", text: await this._errorText(err) };
    } finally {
      delete this._busy[key];
      this._render();
      this._fetch();
    }
  }

  async _saveTimes(stay) {
    const { check_in, check_out } = this._form;
    const ok = await this._act(
      stay.booking_id,
      "set_stay_override",
      { booking: stay.booking_id, check_in: `${check_in}:00`, check_out: `${check_out}:00` },
      () => this._t("saved"),
    );
    if (ok) {
      this._editing = null;
      this._render();
    }
  }

  async _clearTimes(stay) {
    const ok = await this._act(stay.booking_id, "set_stay_override", { booking: stay.booking_id, clear: true }, () => this._t("saved"));
    if (ok) {
      this._editing = null;
      this._render();
    }
  }

  _regenerate(stay) {
    return this._act(stay.booking_id, "regenerate_code", { booking: stay.booking_id }, (answer) => {
      if (answer.pin) this._pins[stay.booking_id] = answer.pin;
      return this._t("new_pin", { pin: answer.pin ?? "" });
    });
  }

  _send(unit, stay) {
    const data = { booking: stay.booking_id };
    if (this._config.message) {
      data.message = this._config.message;
    } else {
      // The guest's language where the card knows it, else English.
      data.message = WORDS.en.message;
      data.translations = Object.fromEntries(Object.entries(WORDS).map(([lang, words]) => [lang, words.message]));
    }
    if (this._config.subject) data.subject = this._config.subject;
    return this._act(stay.booking_id, "send_guest_message", data, () => this._t("sent"));
  }

  async _remove(unit, stay) {
    this._confirming = null;
    await this._act(
      stay.booking_id,
      "remove_code",
      { lock: this._lockOf(unit, stay), code_id: String(stay.code_id) },
      () => this._t("removed"),
    );
  }

  async _copy(pin, button) {
    let done = false;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(pin);
        done = true;
      } catch (err) {
        done = false;
      }
    }
    if (!done) {
      // Plain http: no clipboard API; a selected textarea and the old copy command.
      const area = document.createElement("textarea");
      area.value = pin;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.append(area);
      area.select();
      try {
        done = document.execCommand("copy");
      } catch (err) {
        done = false;
      }
      area.remove();
    }
    if (done) {
      button.textContent = this._t("copied");
      setTimeout(() => {
        button.textContent = this._t("copy");
      }, 1500);
    }
  }
}

if (!customElements.get(CARD)) customElements.define(CARD, LockBridgeGuestsCard);

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD)) {
  window.customCards.push({
    type: CARD,
    name: "LockBridge Guests",
    description: "Arrivals, departures, who is in and every coming stay, with PINs for administrators.",
    preview: false,
    documentationURL: "https://github.com/lockbridge/lockbridge#the-guests-dashboard",
  });
}
