// Dashboard search box.
export function showResults(container, items) {
  container.textContent = "";
  for (const item of items) {
    const row = document.createElement("li");
    row.textContent = `${item.sku} ${item.name} (${item.quantity})`;
    container.appendChild(row);
  }
}
