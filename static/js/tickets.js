/* The staff queue's map: each ticket's popup gives its number, kind and status and links to the ticket
   (static/js/maplinks.js draws it). */
window.seeclickTickets = {
  attach: function (layer, url, label) {
    seeclickMapLinks.attach(layer, {url: url, label: label, fields: ["category", "status"]});
  }
};
