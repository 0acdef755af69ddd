/* 鹏城资讯网 front-end helpers (demo) */
(function () {
  var hits = document.querySelector('.hits em');
  if (hits) { hits.title = '阅读数'; }
})();
