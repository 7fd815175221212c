// Placeholder: the Guests card itself replaces this file.
class LockBridgeGuestsCard extends HTMLElement {
  setConfig(config) {
    this.config = config;
  }
}
if (!customElements.get("lockbridge-guests-card")) {
  customElements.define("lockbridge-guests-card", LockBridgeGuestsCard);
}
