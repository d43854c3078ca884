/* Material for MkDocs' inline content script (partials/javascripts/content.html), as a file so that
   the Content-Security-Policy needs no 'unsafe-inline'. Keep the line below as the theme has it
   (tests/test_escaping.py compares them). */
var target=document.getElementById(location.hash.slice(1));target&&target.name&&(target.checked=target.name.startsWith("__tabbed_"))
