
/*
 * Tandem's additions to the xsnap worker (appended to xsnapPlatform.c by
 * boards/xs/xsnap-cache.ts when it builds XS).
 *
 * fxRunProgramInPlace runs a script the way a Moddable mod runs on a
 * microcontroller: compiled ahead by XS's own compiler (as xsc would on the
 * host), then its bytecode used in place, as flash is. Moddable's archiver
 * marks a mod's function code and string literals as archived (the
 * *_ARCHIVE opcodes, which XS interprets without copying); a script
 * compiled at run time instead copies each function's code and each string
 * literal into the XS heap when it is reached. The code buffer is kept
 * outside the XS heap for the life of the machine, as the mod's flash
 * would be; only what the program creates (its objects, closures, names)
 * is in the heap XS accounts for.
 */
extern void fxRemapIDs(txMachine* the, txByte* codeBuffer, txSize codeSize, txID* theIDs);

/* Bytes of code kept in place (the flash the programs would occupy). */
static size_t gxInPlaceCodeBytes = 0;

static void fxArchiveCodeInPlace(txByte* p, txByte* q)
{
	while (p < q) {
		txU1 code = *((txU1*)p);
		txS1 size;
		switch (code) {
		case XS_CODE_CODE_1: code = XS_CODE_CODE_ARCHIVE_1; break;
		case XS_CODE_CODE_2: code = XS_CODE_CODE_ARCHIVE_2; break;
		case XS_CODE_CODE_4: code = XS_CODE_CODE_ARCHIVE_4; break;
		case XS_CODE_STRING_1: code = XS_CODE_STRING_ARCHIVE_1; break;
		case XS_CODE_STRING_2: code = XS_CODE_STRING_ARCHIVE_2; break;
		case XS_CODE_STRING_4: code = XS_CODE_STRING_ARCHIVE_4; break;
		}
		*((txU1*)p) = code;
		size = gxCodeSizes[code];
		if (size > 0)
			p += size;
		else if (size == 0)
			p += 1 + sizeof(txID);
		else if (size == -1)
			p += 2 + *((txU1*)(p + 1));
		else if (size == -2) {
			txU2 length;
			p++;
			mxDecode2(p, length);
			p += length;
		}
		else {
			txS4 length;
			p++;
			mxDecode4(p, length);
			p += length;
		}
	}
}

void fxRunProgramInPlace(txMachine* the, txString source, txSize size)
{
	txSlot* realm = mxProgram.value.reference->next->value.module.realm;
	txStringCStream stream = { source, 0, size };
	txScript* script = fxParseScript(the, &stream, fxStringCGetter, mxProgramFlag);
	if (script == C_NULL)
		mxSyntaxError("the script does not compile");
	if (script->symbolsBuffer) {
		/* Name the script's symbols now, as fxRunScript would; without symbols, it leaves the code alone. */
		txByte* p = script->symbolsBuffer;
		txID count, index;
		txID* ids;
		mxDecodeID(p, count);
		ids = c_malloc(count * sizeof(txID));
		if (ids == C_NULL)
			fxAbort(the, XS_NOT_ENOUGH_MEMORY_EXIT);
		ids[0] = XS_NO_ID;
		for (index = 1; index < count; index++) {
			ids[index] = fxNewNameC(the, (txString)p);
			p += mxStringLength((char*)p) + 1;
		}
		fxRemapIDs(the, script->codeBuffer, script->codeSize, ids);
		c_free(ids);
		c_free(script->symbolsBuffer);
		script->symbolsBuffer = C_NULL;
	}
	fxArchiveCodeInPlace(script->codeBuffer, script->codeBuffer + script->codeSize);
	gxInPlaceCodeBytes += script->codeSize;
	fxRunScript(the, script, mxRealmGlobal(realm), C_NULL, mxRealmClosures(realm)->value.reference, C_NULL, mxProgram.value.reference);
	mxPullSlot(mxResult);
	/* The code buffer stays: it is the program's flash. */
	if (script->hostsBuffer)
		c_free(script->hostsBuffer);
	c_free(script);
}

/* The engine's own accounting, for the worker's meter. */
int fxHeapFigure(txMachine* the, int which)
{
	switch (which) {
	case 0: return (int)the->currentChunksSize;
	case 1: return (int)the->peakChunksSize;
	case 2: return (int)the->peakHeapCount;
	case 3: return (int)sizeof(txSlot);
	case 4: return (int)gxInPlaceCodeBytes;
	default: return 0;
	}
}

/*
 * A microcontroller's fixed heap, as a Moddable manifest's creation makes
 * it: when the board sets TANDEM_XS_HEAP_BYTES, XS takes that many bytes at
 * creation, TANDEM_XS_CHUNK_BYTES of them for chunks, its stack, and slots
 * in the rest, and never grows either heap (incremental sizes 0): when one
 * is full and a collection frees nothing, XS aborts with
 * XS_NOT_ENOUGH_MEMORY_EXIT. Without it, the build's growing heaps.
 */
static size_t fxTandemSetting(const char* name)
{
	const char* text = getenv(name);
	char* end;
	unsigned long long value;
	if (text == NULL || *text == 0)
		return 0;
	value = strtoull(text, &end, 10);
	return *end != 0 ? 0 : (size_t)value;
}

/* 0, or -1 when the chunks leave no room for the stack and slots. */
int fxTandemCreation(txCreation* creation)
{
	size_t heap = fxTandemSetting("TANDEM_XS_HEAP_BYTES");
	size_t chunks = fxTandemSetting("TANDEM_XS_CHUNK_BYTES");
	size_t stack = (size_t)creation->stackCount * sizeof(txSlot);
	if (heap == 0)
		return 0;
	if (chunks <= sizeof(txBlock) || chunks + stack >= heap)
		return -1;
	/* XS adds its block's header to the chunks it takes. */
	creation->initialChunkSize = (txSize)(chunks - sizeof(txBlock));
	creation->incrementalChunkSize = 0;
	creation->initialHeapCount = (txSize)((heap - chunks - stack) / sizeof(txSlot));
	creation->incrementalHeapCount = 0;
	return 0;
}
