// layout.js: the static markup of the app (sign-in screen, conversation list,
// chat pane), shared by /, /home/index and /home/room. No user data in here:
// everything a user or the server provides is added later as text or as
// sanitised Markdown (markdown.js).

const ID_PATTERN = '[A-Za-z0-9_.:@\\-]{1,64}';

const TEMPLATE = `
<section id="signin" class="signin" hidden>
  <form id="signin-form" class="card" autocomplete="on">
    <h1 class="brand">Chorus</h1>
    <label>User id
      <input id="signin-user" name="userId" required maxlength="64" pattern="${ID_PATTERN}"
             autocomplete="username" placeholder="alice">
    </label>
    <label>App id
      <input id="signin-app" name="appId" required maxlength="64" pattern="${ID_PATTERN}" value="101">
    </label>
    <label>Token <span class="hint">(only when the server runs with --auth=jwt)</span>
      <textarea id="signin-token" name="token" rows="3" spellcheck="false" placeholder="eyJhbGciOi..."></textarea>
    </label>
    <p id="signin-error" class="error" role="alert"></p>
    <button type="submit">Sign in</button>
    <p class="hint">Ids are 1-64 characters of A-Z a-z 0-9 _ . : @ -</p>
  </form>
</section>

<div id="app" class="app" hidden data-pane="list">
  <aside class="sidebar" aria-label="Conversations">
    <header class="side-head">
      <span class="brand">Chorus</span>
      <span id="me" class="me"></span>
      <button id="signout" class="link" type="button">Sign out</button>
    </header>
    <div id="conn" class="conn" role="status" data-state="connecting">
      <span id="conn-text">Connecting…</span>
      <button id="conn-retry" class="link" type="button" hidden>Reconnect now</button>
    </div>
    <form id="new-chat" class="new-chat" autocomplete="off">
      <label for="new-id" class="sr-only">User id or room id</label>
      <input id="new-id" required maxlength="64" pattern="${ID_PATTERN}" placeholder="User id or room id">
      <button id="new-direct" type="submit" value="direct" title="Start a one-to-one chat with this user">Chat</button>
      <button id="new-room" type="submit" value="room" class="secondary" title="Create or join the room with this id">Join room</button>
    </form>
    <ul id="conv-list" class="conv-list" aria-label="Conversation list"></ul>
    <p id="conv-empty" class="empty">No conversations yet: start a chat with a user id or join a room.</p>
  </aside>

  <main class="pane">
    <div id="no-chat" class="no-chat"><p>Pick a conversation, or start one.</p></div>
    <section id="chat" class="chat" hidden aria-labelledby="chat-title">
      <header class="chat-head">
        <button id="back" class="icon back" type="button" aria-label="Back to the conversation list">&#8592;</button>
        <div class="chat-title">
          <h2 id="chat-title"></h2>
          <p id="chat-sub" class="sub"></p>
        </div>
        <button id="leave" class="link" type="button" hidden>Leave room</button>
      </header>
      <p id="conn-bar" class="conn-bar" hidden></p>
      <div id="scroller" class="scroller" tabindex="0" aria-label="Messages">
        <p id="history-state" class="history-state"></p>
        <ol id="messages" class="messages" aria-live="polite"></ol>
        <ol id="pending" class="messages pending" aria-label="Messages not sent yet"></ol>
      </div>
      <button id="jump" class="jump" type="button" hidden>New messages &#8595;</button>
      <p id="typing" class="typing" aria-live="polite"></p>
      <form id="composer" class="composer" autocomplete="off">
        <textarea id="input" rows="1" aria-label="Message" placeholder="Write a message…"
                  title="Enter sends, Shift+Enter starts a new line. **bold**, _italic_, \`code\`, [link](https://…), - lists, > quotes, @user"></textarea>
        <button id="send" type="submit">Send</button>
      </form>
    </section>
  </main>
</div>

<div id="toasts" class="toasts" aria-live="assertive"></div>
`;

export function mountLayout(root) {
  root.innerHTML = TEMPLATE;
}

export const $ = (id) => document.getElementById(id);
