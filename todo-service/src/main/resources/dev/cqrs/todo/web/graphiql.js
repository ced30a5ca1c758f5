// Starts GraphiQL on /graphql, once its bundle (React, ReactDOM and GraphiQL, served by this service) has loaded.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  if (typeof window.GraphiQL === 'undefined' || typeof window.React === 'undefined') {
    return; // the page's text explains
  }
  const fetcher = window.GraphiQL.createFetcher({url: '/graphql'});
  const defaultQuery = `# The to-dos, newest first (the seed's schema). A mutation answers with the to-do and its
# position: pass it as minPosition to read your own write, e.g. allTodos(minPosition: "123456").
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
