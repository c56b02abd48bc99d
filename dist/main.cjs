'use strict';
// The main step: everything is in index.cjs, shared by the steps.
void require("./index.cjs").main();
