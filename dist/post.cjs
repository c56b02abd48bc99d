'use strict';
// The post step: everything is in index.cjs, shared by the steps.
void require("./index.cjs").post();
