// Shared by the test pages: render news cards from JSON records, as a
// script-built listing does ({headline, path, date} each).
function card(item) {
  var article = document.createElement("article");
  article.className = "card";
  var h3 = document.createElement("h3");
  var a = document.createElement("a");
  a.href = item.path;
  a.textContent = item.headline;
  h3.appendChild(a);
  var time = document.createElement("time");
  time.setAttribute("datetime", item.date);
  time.textContent = item.date;
  article.appendChild(h3);
  article.appendChild(time);
  return article;
}
function renderCards(items) {
  var list = document.getElementById("news");
  items.forEach(function (item) { list.appendChild(card(item)); });
}
function getPage(n) {
  return fetch("/api/news?page=" + n).then(function (r) { return r.json(); });
}
