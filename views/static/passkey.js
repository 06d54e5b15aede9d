// Passkey buttons on the sign-in pages: ask the server for WebAuthn options, let the browser
// create or use a credential (SimpleWebAuthnBrowser, served from /static/webauthn.js), post the
// answer back, and follow where the server sends us. Loaded as a file: the CSP forbids inline script.
(function () {
  'use strict';
  var webauthn = window.SimpleWebAuthnBrowser;
  var buttons = document.querySelectorAll('[data-passkey]');
  if (!webauthn || !webauthn.browserSupportsWebAuthn()) return;

  function post(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) throw new Error(json.message || json.error_description || 'The passkey could not be used.');
        return json;
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('[data-passkey-or]'), function (or) { or.hidden = false; });
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    var status = document.getElementById(button.getAttribute('aria-describedby'));
    button.addEventListener('click', function () {
      var register = button.dataset.passkey === 'register';
      var base = button.dataset.base;
      var csrf = button.dataset.csrf;
      button.disabled = true;
      if (status) status.textContent = '';
      post(base + '/passkey/options', { csrf: csrf, purpose: register ? 'register' : 'signin' })
        .then(function (options) {
          return register ? webauthn.startRegistration({ optionsJSON: options }) : webauthn.startAuthentication({ optionsJSON: options });
        })
        .then(function (response) { return post(base + (register ? '/passkey/register' : '/passkey/verify'), { csrf: csrf, response: response }); })
        .then(function (result) { window.location.assign(result.redirect); })
        .catch(function (error) {
          button.disabled = false;
          // The page's language: the messages come with the status element (data-cancelled, data-failed).
          if (status) status.textContent = error && error.name === 'NotAllowedError' ? status.dataset.cancelled : status.dataset.failed;
        });
    });
  });
}());
