#!/usr/bin/env node
import { main } from "../dist/ocrq.js";

main(process.argv.slice(2));
