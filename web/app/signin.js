// signin.js: the sign-in screen: a user id, an appId (default 101) and, for
// a server with --auth=jwt, a token. The choice is kept in localStorage
// (session.js) by the caller.

import { validId } from './ids.js';

export function showSignIn(els, { error = '', userId = '', appId = '' } = {}, onSignIn) {
  els.signin.hidden = false;
  els.app.hidden = true;
  if (userId) els.user.value = userId;
  if (appId) els.appId.value = appId;
  els.error.textContent = error;
  els.user.focus();
  els.form.onsubmit = (ev) => {
    ev.preventDefault();
    const userId = els.user.value.trim();
    const appId = els.appId.value.trim() || '101';
    const token = els.token.value.trim();
    if (!validId(userId) || !validId(appId)) {
      els.error.textContent = 'Ids are 1-64 characters of A-Z a-z 0-9 _ . : @ -';
      return;
    }
    onSignIn({ userId, appId, token });
  };
}
