/* Material for MkDocs' inline head script (partials/javascripts/base.html), as a file so that the
   Content-Security-Policy needs no 'unsafe-inline'. The one difference: the scope is read from the
   script element's data-scope instead of being written into the script. Keep the line below as the
   theme has it (tests/test_escaping.py compares them). */
__md_scope=new URL(document.currentScript.dataset.scope,location),__md_hash=e=>[...e].reduce(((e,_)=>(e<<5)-e+_.charCodeAt(0)),0),__md_get=(e,_=localStorage,t=__md_scope)=>JSON.parse(_.getItem(t.pathname+"."+e)),__md_set=(e,_,t=localStorage,a=__md_scope)=>{try{t.setItem(a.pathname+"."+e,JSON.stringify(_))}catch(e){}}
