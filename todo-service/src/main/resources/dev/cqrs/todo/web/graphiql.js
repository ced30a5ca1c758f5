// Starts GraphiQL on /graphql, once its bundle (React, ReactDOM, GraphiQL from unpkg) has loaded.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  if (typeof window.GraphiQL === 'undefined' || typeof window.React === 'undefined') {
    return; // offline: the page's text explains
  }
  const fetcher = window.GraphiQL.createFetcher({url: '/graphql'});
  const defaultQuery = `# The to-dos, newest first. Mutations return a position: pass it as minPosition
# to read your own write, e.g. allTodos(minPosition: "123456").
{
  allTodos(first: 10) {
    totalCount
    edges { cursor node { id description reminder completed version } }
    pageInfo { hasNextPage endCursor }
  }
}
`;
  window.ReactDOM.createRoot(document.getElementById('graphiql')).render(
    window.React.createElement(window.GraphiQL, {fetcher, defaultQuery, defaultEditorToolsVisibility: true}));
});
