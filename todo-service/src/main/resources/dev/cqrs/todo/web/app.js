// The to-do page: plain JavaScript over the service's GraphQL API.
//
// Every change sends the version the page shows as expectedVersion, so a to-do changed elsewhere in
// the meantime is refused as CONFLICT (and said so) instead of silently overwritten. A change answers
// with the to-do (TodoQL, the seed's type) and its position; the list is read again with that position as
// minPosition, so it shows your own write.
'use strict';

const PAGE_SIZE = 10;

const LIST_QUERY = `query List($first: Int!, $after: Cursor, $minPosition: Position) {
  allTodos(first: $first, after: $after, minPosition: $minPosition) {
    totalCount
    edges { cursor node { id description reminder completed version } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const RESULT = 'id version position';

const page = {
  cursors: [null], // cursors[i]: the `after` of page i (null: the newest)
  index: 0,
  position: null, // the latest position this page wrote, for read-your-writes
  todos: [],
};

class ApiError extends Error {
  constructor(error) {
    super(error.message);
    this.code = (error.extensions && error.extensions.code) || 'INTERNAL';
    this.extensions = error.extensions || {};
  }
}

async function graphql(query, variables) {
  const headers = {'Content-Type': 'application/json'};
  const token = document.getElementById('token').value.trim();
  if (token) {
    headers.Authorization = 'Bearer ' + token;
  }
  let response;
  try {
    response = await fetch('/graphql', {method: 'POST', headers, body: JSON.stringify({query, variables})});
  } catch (e) {
    throw new ApiError({message: 'The service cannot be reached.', extensions: {code: 'UNAVAILABLE'}});
  }
  let body;
  try {
    body = await response.json();
  } catch (e) {
    throw new ApiError({message: 'The service answered HTTP ' + response.status + '.', extensions: {code: 'INTERNAL'}});
  }
  if (body.errors && body.errors.length > 0) {
    throw new ApiError(body.errors[0]);
  }
  return body.data;
}

function setState(state) {
  document.body.dataset.state = state;
}

function notify(text, kind) {
  const notice = document.getElementById('notice');
  document.getElementById('notice-text').textContent = text;
  notice.className = kind;
  notice.hidden = false;
}

function clearNotice() {
  document.getElementById('notice').hidden = true;
}

function explain(error) {
  switch (error.code) {
    case 'CONFLICT': {
      const seen = error.extensions.expectedVersion;
      const now = error.extensions.actualVersion;
      return ['conflict', 'Conflict: this to-do was changed elsewhere since you loaded it (you saw version ' + seen
        + ', it is now at version ' + now + '). The list now shows its latest state: make your change again.'];
    }
    case 'VALIDATION':
      return ['error', 'Not saved: ' + error.message];
    case 'UNAUTHORIZED':
      return ['error', 'Changes need an API token: enter it under "API token" below.'];
    case 'UNAVAILABLE':
      return ['error', 'The service is unavailable right now; try again in a moment.'];
    default:
      return ['error', error.message + ' (' + error.code + ')'];
  }
}

async function load() {
  setState('loading');
  try {
    const data = await graphql(LIST_QUERY, {
      first: PAGE_SIZE,
      after: page.cursors[page.index],
      minPosition: page.position,
    });
    render(data.allTodos);
  } catch (e) {
    const [kind, text] = explain(e);
    notify(text, kind);
  } finally {
    setState('ready');
  }
}

function render(list) {
  page.todos = list.edges.map((edge) => edge.node);
  if (list.pageInfo.hasNextPage) {
    page.cursors[page.index + 1] = list.pageInfo.endCursor;
  }
  document.getElementById('summary').textContent =
    list.totalCount === 1 ? '1 to-do' : list.totalCount + ' to-dos';
  const ul = document.getElementById('todos');
  ul.replaceChildren(...page.todos.map(renderTodo));
  document.getElementById('empty').hidden = page.todos.length > 0 || page.index > 0;
  document.getElementById('prev').disabled = page.index === 0;
  document.getElementById('next').disabled = !list.pageInfo.hasNextPage;
  document.getElementById('page-label').textContent = 'Page ' + (page.index + 1);
}

function renderTodo(todo) {
  const li = document.getElementById('todo-template').content.firstElementChild.cloneNode(true);
  li.dataset.id = todo.id;
  li.dataset.version = String(todo.version);
  li.classList.toggle('completed', todo.completed);
  li.querySelector('.toggle').checked = todo.completed;
  li.querySelector('.description').textContent = todo.description;
  li.querySelector('.version').textContent = 'v' + todo.version;
  const reminder = li.querySelector('.reminder');
  if (todo.reminder) {
    reminder.hidden = false;
    reminder.textContent = 'Reminder: ' + new Date(todo.reminder).toLocaleString();
    reminder.dataset.value = todo.reminder;
    li.querySelector('.cancel-reminder').hidden = false;
  }

  const editForm = li.querySelector('.edit-form');
  const reminderForm = li.querySelector('.reminder-form');
  li.querySelector('.toggle').addEventListener('change', () => change(todo, 'toggle(expectedVersion: $v)', {}));
  li.querySelector('.edit').addEventListener('click', () => {
    editForm.hidden = false;
    editForm.querySelector('.edit-text').value = todo.description;
    editForm.querySelector('.edit-text').focus();
  });
  li.querySelector('.edit-cancel').addEventListener('click', () => { editForm.hidden = true; });
  editForm.addEventListener('submit', (event) => {
    event.preventDefault();
    change(todo, 'setDescription(text: $text, expectedVersion: $v)', {text: editForm.querySelector('.edit-text').value},
      '$text: String!');
  });
  li.querySelector('.set-reminder').addEventListener('click', () => { reminderForm.hidden = false; });
  li.querySelector('.reminder-close').addEventListener('click', () => { reminderForm.hidden = true; });
  reminderForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = reminderForm.querySelector('.reminder-input').value;
    change(todo, 'setReminder(time: $time, expectedVersion: $v)', {time: new Date(value).toISOString()},
      '$time: DateTimeUtc!');
  });
  li.querySelector('.cancel-reminder').addEventListener('click', () =>
    change(todo, 'cancelReminder(expectedVersion: $v)', {}));
  return li;
}

// Runs one command on a to-do at the version the page shows, then reads the list again at its position.
async function change(todo, command, variables, declarations) {
  setState('busy');
  clearNotice();
  const query = 'mutation Change($id: ID!, $v: Int' + (declarations ? ', ' + declarations : '') + ') {'
    + ' todo(id: $id) { result: ' + command + ' { ' + RESULT + ' } } }';
  try {
    const data = await graphql(query, Object.assign({id: todo.id, v: todo.version}, variables));
    if (data.todo.result === null) {
      notify('This to-do does not exist (any more).', 'error');
    } else {
      remember(data.todo.result.position);
    }
  } catch (e) {
    const [kind, text] = explain(e);
    notify(text, kind);
    if (e.code === 'CONFLICT') {
      await untilReadModelHas(todo.id, e.extensions.actualVersion);
    }
  }
  await load();
}

// The other writer's position is not known here: wait (a few seconds at most) until the list has its version.
async function untilReadModelHas(id, version) {
  for (let attempt = 0; attempt < 25; attempt++) {
    try {
      const data = await graphql('query Version($id: ID!) { todo(id: $id) { version } }', {id});
      if (data.todo && data.todo.version >= version) {
        return;
      }
    } catch (e) {
      // not in the read model yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function add(event) {
  event.preventDefault();
  setState('busy');
  clearNotice();
  const text = document.getElementById('new-text');
  const reminder = document.getElementById('new-reminder');
  try {
    const data = await graphql('mutation Add($text: String!, $reminder: DateTimeUtc, $key: String) {'
      + ' newTodo(text: $text, reminderTime: $reminder, idempotencyKey: $key) { ' + RESULT + ' } }', {
      text: text.value,
      reminder: reminder.value ? new Date(reminder.value).toISOString() : null,
      key: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(),
    });
    remember(data.newTodo.position);
    text.value = '';
    reminder.value = '';
    page.index = 0;
  } catch (e) {
    const [kind, text2] = explain(e);
    notify(text2, kind);
  }
  await load();
}

function remember(position) {
  if (position !== null && (page.position === null || BigInt(position) > BigInt(page.position))) {
    page.position = position;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('add-form').addEventListener('submit', add);
  document.getElementById('notice-close').addEventListener('click', clearNotice);
  document.getElementById('prev').addEventListener('click', () => {
    page.index = Math.max(0, page.index - 1);
    load();
  });
  document.getElementById('next').addEventListener('click', () => {
    page.index += 1;
    load();
  });
  const token = document.getElementById('token');
  token.value = sessionStorage.getItem('cqrs-token') || '';
  token.addEventListener('change', () => sessionStorage.setItem('cqrs-token', token.value.trim()));
  load();
});
