// Dashboard search box.
export function showResults(container, items, term) {
  container.innerHTML = "<h3>Results for " + term + "</h3>";
  for (const item of items) {
    const row = document.createElement("li");
    row.textContent = `${item.sku} ${item.name} (${item.quantity})`;
    container.appendChild(row);
  }
}

export function applyFilter(expression, items) {
  return items.filter((item) => eval(expression));
}
