// The grid is asked of grid workers and the places of checkpoint staff only; without script every field shows.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var role = document.getElementById("id_role");
  if (!role) { return; }
  var only = {id_grid: "grid_worker", id_places: "checkpoint_staff"};
  function show() {
    Object.keys(only).forEach(function (id) {
      var input = document.getElementById(id);
      if (!input) { return; }
      var field = input.closest(".field");
      field.hidden = role.value !== only[id] && !field.classList.contains("invalid");
    });
  }
  role.addEventListener("change", show);
  show();
});
